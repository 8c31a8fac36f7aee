"""A new account of an import as the directory's checks and search rows read it.

The writing pass hands its new accounts to the directory twice: their « MSSanté adresse »
checked before the insert (`check_mssante_addresses`), and their search rows written
after it (`add_created`), both from the import's own values. A model instance per line
(or a copy of one) costs more than both (issue #19); `NewAccountView` holds the values
as plain attributes, with `Account`'s own properties (`display_name`, `is_shared`,
`is_nominative`), like `_Existing` in the validation pass. The tests compare the
results with those of real accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from caducee.accounts.models import Account
from caducee.directory.models import MailboxListing
from caducee.loadusers.import_state import STORED_KEYS
from caducee.structures.models import Structure


class NewAccountView:
    """An account about to be (or just) inserted: `pk` None until then."""

    finalised_at = None  # a new account has not finalised
    is_nominative = Account.is_nominative
    is_shared = Account.is_shared
    display_name = Account.display_name

    def __init__(
        self,
        structure: Structure,
        state: str,
        visible: bool,
        values: Sequence[Any],
        pk: int | None = None,
    ) -> None:
        self.pk = pk
        self.structure = structure
        self.structure_id = structure.pk
        self.state = state
        self.visible = visible
        self.is_test = False  # the import never creates test accounts
        self.__dict__.update(zip(STORED_KEYS, values, strict=True))  # one C call, not 34 setattr

    @property
    def listing(self) -> MailboxListing:
        """A new account has no directory choices yet (`listing_of` answers None)."""
        raise MailboxListing.DoesNotExist

    def __str__(self) -> str:
        return str(self.email)  # type: ignore[attr-defined]

    def as_account(self) -> Account:
        """For the directory functions typed with `Account` (they read only the above)."""
        return cast(Account, self)
