"""Who is listed in the regional directory, and the denormalised search rows (DirectoryEntry).

Rows are refreshed by the directory operations and, because accounts change through other
apps' operations, by `post_save`/`post_delete` receivers on Account and Structure (a derived
search index, not business flow). Bulk writes that bypass signals are followed by
`rebuild_entries()` (`caducee directory rebuild`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from caducee.accounts.export import cell_text
from caducee.accounts.fields import FIELDS, FieldSpec, Kind
from caducee.accounts.models import Account, AccountState
from caducee.directory.addresses import mssante_address
from caducee.directory.models import DirectoryEntry, MailboxListing
from caducee.referentials import lists
from caducee.referentials.text import fold
from caducee.structures.models import Structure

_GONE = (AccountState.DEACTIVATED, AccountState.REJECTED)
DIRECTORY_FIELDS: tuple[FieldSpec, ...] = tuple(f for f in FIELDS if f.in_directory)
_FOLD_EXTRA = str.maketrans({c: " " for c in '@+#&*"<>;:!?%$=~^`|[]{}\\'})


def listing_of(account: Account) -> MailboxListing | None:
    try:
        listing: MailboxListing = account.listing  # type: ignore[attr-defined]
    except MailboxListing.DoesNotExist:
        return None
    return listing


def is_red_listed(account: Account) -> bool:
    listing = listing_of(account)
    return bool(listing and listing.red_list)


def is_listed(account: Account) -> bool:
    """In the regional directory: active, visible, not liste rouge, not external.

    Nominative accounts stay hidden until they finalise unless created visible; shared
    mailboxes (ORG, APP) have no finalisation and are listed once valid. Deactivated and
    rejected accounts are never listed.
    """
    if account.structure.is_external or account.state in _GONE:
        return False
    if account.is_nominative:
        if not (account.visible or account.finalised_at is not None):
            return False
    elif account.state != AccountState.VALID:
        return False
    return not is_red_listed(account)


def keyword_text(*values: str) -> str:
    """Folded words: lower case, no accents, punctuation as spaces."""
    return " ".join(fold(v.translate(_FOLD_EXTRA)) for v in values if v).strip()


def display_value(spec: FieldSpec, value: Any) -> str:
    if spec.kind is Kind.LIST and spec.referential and value:
        return lists.by_name(spec.referential).label(str(value)) or str(value)
    return cell_text(spec, value)


def build_entry(account: Account) -> DirectoryEntry:
    structure = account.structure
    address = mssante_address(account) or ""
    data = {
        "fields": [
            [spec.key, spec.title, display_value(spec, getattr(account, spec.key))]
            for spec in DIRECTORY_FIELDS
        ],
        "structure": structure.name,
    }
    labels = {key: value for key, _title, value in data["fields"]}
    keywords = keyword_text(
        account.last_name,
        account.first_name,
        account.description if account.is_shared else "",
        account.profession,
        labels.get("profession", ""),
        labels.get("specialty", ""),
        structure.name,
        account.company_name,
        account.city,
        account.postal_code,
        account.department,
        labels.get("department", ""),
        account.rpps,
        account.adeli,
        address,
        account.email,
    )
    return DirectoryEntry(
        account_id=account.pk,
        structure_id=structure.pk,
        type=account.type,
        sort_key=keyword_text(account.display_name)[:300] + f" {account.pk:012d}",
        display_name=account.display_name[:320],
        email=account.email,
        mssante_address=address,
        department=account.department,
        keywords=keywords,
        data=data,
    )


def refresh_entry(account: Account) -> None:
    """Insert, update or remove the account's row so the search table follows it."""
    with transaction.atomic():
        if account.pk is None:
            return
        if not is_listed(account):
            DirectoryEntry.objects.filter(account_id=account.pk).delete()
            return
        entry = build_entry(account)
        updated = DirectoryEntry.objects.filter(account_id=account.pk).update(
            **{
                f.attname: getattr(entry, f.attname)
                for f in DirectoryEntry._meta.concrete_fields
                if f.attname != "account_id"
            }
        )
        if not updated:
            entry.save(force_insert=True)


def refresh_structure(structure: Structure) -> None:
    """Rebuild the rows of one structure (its name, domain or external flag changed)."""
    _rebuild(
        Account.objects.filter(structure=structure),
        DirectoryEntry.objects.filter(structure=structure),
    )


def refresh_accounts(account_ids: Iterable[int]) -> None:
    """Rebuild the rows of these accounts (after bulk writes that bypass `save`)."""
    ids = list(account_ids)
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        _rebuild(
            Account.objects.filter(pk__in=chunk),
            DirectoryEntry.objects.filter(account_id__in=chunk),
        )


def _listed(accounts: Iterable[Account]) -> Iterator[DirectoryEntry]:
    for account in accounts:
        if is_listed(account):
            yield build_entry(account)


def _rebuild(accounts: QuerySet[Account], rows: QuerySet[DirectoryEntry], batch: int = 2000) -> int:
    total = 0
    with transaction.atomic():
        rows.delete()
        chunk: list[DirectoryEntry] = []
        source = accounts.select_related("structure", "listing").order_by("pk")
        for entry in _listed(source.iterator(chunk_size=batch)):
            chunk.append(entry)
            if len(chunk) >= batch:
                DirectoryEntry.objects.bulk_create(chunk)
                total += len(chunk)
                chunk = []
        if chunk:
            DirectoryEntry.objects.bulk_create(chunk)
            total += len(chunk)
    return total


def rebuild_entries() -> int:
    """Recompute the whole search table; returns the number of listed accounts."""
    return _rebuild(Account.objects.all(), DirectoryEntry.objects.all())
