"""The « Correspondances MSSanté » list of a structure: one read query, shared by adapters.

The page shows at most `SHOWN` accounts (ordered by email) and says so when there are more,
with the total: a structure of 50,000 mailboxes would otherwise render a page nobody can use;
the full list is the publication export.
"""

from __future__ import annotations

from dataclasses import dataclass

from caducee.accounts.models import Account, AccountType
from caducee.directory.addresses import mssante_address
from caducee.directory.entries import listing_of
from caducee.structures.models import Structure

SHOWN = 2000
WITH_ADDRESS = "oui"
WITHOUT_ADDRESS = "non"


@dataclass(frozen=True)
class Correspondence:
    account: Account
    address: str | None  # None: no correspondence
    published: str
    red_list: bool


@dataclass(frozen=True)
class Correspondences:
    rows: list[Correspondence]
    total: int  # every matching account, shown or not

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def correspondences(
    structure: Structure, only: str = "", limit: int | None = None
) -> Correspondences:
    """The structure's accounts that may carry a correspondence (every type but MED), with
    their MSSanté address and publication state; `only` is `oui` (with an address), `non`
    (without) or '' (all). The caller has checked access to the structure."""
    limit = SHOWN if limit is None else limit
    accounts = (
        Account.objects.filter(structure=structure)
        .exclude(type=AccountType.MED)
        .select_related("listing")
        .order_by("email")
    )
    if only == WITH_ADDRESS:
        accounts = accounts.exclude(mssante_particle="")
    elif only == WITHOUT_ADDRESS:
        accounts = accounts.filter(mssante_particle="")
    rows: list[Correspondence] = []
    for account in accounts[:limit]:
        account.structure = structure
        listing = listing_of(account)
        rows.append(
            Correspondence(
                account=account,
                address=mssante_address(account),
                published=listing.published_address if listing else "",
                red_list=bool(listing and listing.red_list),
            )
        )
    total = len(rows) if len(rows) < limit else accounts.count()
    return Correspondences(rows=rows, total=total)
