"""Who is listed in the regional directory, and the denormalised search rows (DirectoryEntry).

Rows are refreshed by the directory operations and, because accounts change through other
apps' operations, by `post_save`/`post_delete` receivers on Account and Structure (a derived
search index, not business flow). Bulk writes that bypass signals are followed by
`rebuild_entries()` (`caducee directory rebuild`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from caducee.accounts.export import cell_text
from caducee.accounts.fields import FIELDS, FieldSpec, Kind
from caducee.accounts.models import Account, AccountState, AccountType
from caducee.core.bulk import insert_rows
from caducee.directory.addresses import mssante_address
from caducee.directory.models import DirectoryEntry, MailboxListing
from caducee.referentials import lists
from caducee.referentials.text import LATIN_ASCII, fold
from caducee.structures.models import Structure

_GONE = (AccountState.DEACTIVATED, AccountState.REJECTED, AccountState.DELETED)
# A superset of `is_listed` in SQL (is_listed still decides, row by row).
_MAYBE_LISTED = ~Q(state__in=_GONE) & (
    Q(type__in=AccountType.shared(), state=AccountState.VALID)
    | Q(type__in=AccountType.nominative(), visible=True)
    | Q(type__in=AccountType.nominative(), finalised_at__isnull=False)
)
DIRECTORY_FIELDS: tuple[FieldSpec, ...] = tuple(f for f in FIELDS if f.in_directory)
# Punctuation to spaces and accented Latin letters to ASCII in one pass (fold() then takes
# its ASCII path; the result is the same as folding the whole text).
_FOLD_EXTRA = {
    **str.maketrans({c: " " for c in '@+#&*"<>;:!?%$=~^`|[]{}\\'}),
    **LATIN_ASCII,
}


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
    return fold(" ".join(v for v in values if v).translate(_FOLD_EXTRA))


def display_value(spec: FieldSpec, value: Any) -> str:
    if spec.kind is Kind.LIST and spec.referential and value:
        return lists.by_name(spec.referential).label(str(value)) or str(value)
    return cell_text(spec, value)


def sort_key_of(account: Account) -> str:
    """Folded display name, then the id: unique, and the order of the results."""
    return keyword_text(account.display_name)[:300] + f" {account.pk:012d}"


ENTRY_COLUMNS = (
    "account_id", "structure_id", "type", "sort_key", "display_name", "email",
    "mssante_address", "department", "keywords", "data", "search_rowid",
)  # fmt: skip
# (key, title, spec, plain) of each field the directory shows, titles computed once;
# `plain`: a text value is shown as it is (`display_value` answers `str(value)`).
_SHOWN = tuple(
    (
        spec.key,
        spec.title,
        spec,
        spec.kind is not Kind.YES_NO and not (spec.kind is Kind.LIST and spec.referential),
    )
    for spec in DIRECTORY_FIELDS
)


@dataclass(slots=True)
class EntryRow:
    """A search row's values, in `ENTRY_COLUMNS` order, without a model instance: what
    the bulk inserts need (issue #19: building a `DirectoryEntry` per listed account was
    a tenth of `build_entry`). `build_entry` makes the model instance from it."""

    account_id: int
    structure_id: int
    type: str
    sort_key: str
    display_name: str
    email: str
    mssante_address: str
    department: str
    keywords: str
    data: dict[str, Any]
    search_rowid: int | None = None

    def values(self) -> tuple[Any, ...]:
        return tuple([getattr(self, name) for name in ENTRY_COLUMNS])  # no copy of `data`


def entry_row(account: Account) -> EntryRow:
    """The account's search row (the rules of `build_entry`, whose values these are)."""
    structure = account.structure
    address = mssante_address(account) or ""
    fields: list[list[str]] = []
    for key, title, spec, plain in _SHOWN:
        value = getattr(account, key)
        fields.append(
            [key, title, value if plain and type(value) is str else display_value(spec, value)]
        )
    labels = {key: value for key, _title, value in fields}
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
    return EntryRow(
        account_id=account.pk,
        structure_id=structure.pk,
        type=account.type,
        sort_key=sort_key_of(account),
        display_name=account.display_name[:320],
        email=account.email,
        mssante_address=address,
        department=account.department,
        keywords=keywords,
        data={"fields": fields, "structure": structure.name},
    )


def build_entry(account: Account) -> DirectoryEntry:
    """The account's search row as a model instance (saved one by one, `refresh_entry`)."""
    row = entry_row(account)
    return DirectoryEntry(**{name: getattr(row, name) for name in ENTRY_COLUMNS[:-1]})


# --- Ordered search rowids (SQLite) ------------------------------------------------------
#
# On SQLite the FTS5 index is keyed by `search_rowid`, a number that follows the name order
# (`sort_key`). FTS5 returns matches in rowid order, so « first page sorted by name » reads
# only that page whatever the number of matches. Rowids are spread with wide gaps; a new row
# takes the middle of the gap between its neighbours; when a gap is exhausted the rows
# around it are spread again (`_make_room`). SQLite serialises writers, so two rows never
# race for the same gap. PostgreSQL does not use these numbers (they stay NULL there).

GAP = 1 << 40
MAX_ROWID = (1 << 63) - 1


def ordered_rowids() -> bool:
    return connection.vendor == "sqlite"


def _neighbour_rowid(sort_key: str, account_id: int, before: bool) -> int | None:
    rows = DirectoryEntry.objects.exclude(account_id=account_id).exclude(search_rowid=None)
    if before:
        rows = rows.filter(sort_key__lt=sort_key).order_by("-sort_key")
    else:
        rows = rows.filter(sort_key__gt=sort_key).order_by("sort_key")
    value = rows.values_list("search_rowid", flat=True).first()
    return int(value) if value is not None else None


def _place(entry: DirectoryEntry) -> bool:
    """Give the entry a rowid between its neighbours; False when there is no room left."""
    low = _neighbour_rowid(entry.sort_key, entry.account_id, before=True) or 0
    high = _neighbour_rowid(entry.sort_key, entry.account_id, before=False)
    if high is None:
        high = min(low + 2 * GAP, MAX_ROWID)
    if high - low < 2:
        return False
    entry.search_rowid = (low + high) // 2
    return True


def _make_room(sort_key: str, account_id: int) -> bool:
    """Spread the rows around `sort_key` evenly (a window that doubles until it has room).

    Amortised cost stays small even for names always inserted at the same place (an
    alphabetical import, many homonyms). False only if the whole table is too dense.
    """
    rows = DirectoryEntry.objects.exclude(account_id=account_id).exclude(search_rowid=None)
    total = rows.count()
    window = 16
    while True:
        before = list(
            rows.filter(sort_key__lt=sort_key)
            .order_by("-sort_key")
            .values_list("account_id", "search_rowid")[: window + 1]
        )
        after = list(
            rows.filter(sort_key__gt=sort_key)
            .order_by("sort_key")
            .values_list("account_id", "search_rowid")[: window + 1]
        )
        low = int(before[window][1] or 0) if len(before) > window else 0
        high = int(after[window][1] or 0) if len(after) > window else MAX_ROWID
        members: list[int | None] = [a for a, _ in reversed(before[:window])]
        members += [None, *(a for a, _ in after[:window])]
        step = min(GAP, (high - low) // (len(members) + 1))
        if step >= 4:
            moves = {a: low + (i + 1) * step for i, a in enumerate(members) if a is not None}
            for account in moves:  # out of the way first: the unique index holds throughout
                DirectoryEntry.objects.filter(account_id=account).update(search_rowid=-account)
            for account, rowid in moves.items():
                DirectoryEntry.objects.filter(account_id=account).update(search_rowid=rowid)
            return True
        if window > total:
            return False
        window *= 2


def refresh_entry(account: Account) -> None:
    """Insert, update or remove the account's row so the search table follows it."""
    if account.pk is None:
        return
    with transaction.atomic():
        current = DirectoryEntry.objects.filter(account_id=account.pk).first()
        if not is_listed(account):
            if current is not None:
                current.delete()
            return
        entry = build_entry(account)
        if ordered_rowids():
            if current is not None and current.sort_key == entry.sort_key:
                entry.search_rowid = current.search_rowid
            elif not _place(entry) and not (
                _make_room(entry.sort_key, account.pk) and _place(entry)
            ):
                rebuild_entries()
                return
        if current is None:
            entry.save(force_insert=True)
        else:
            entry.save(force_update=True)


def refresh_structure(structure: Structure) -> None:
    """Rebuild the rows of one structure (its name, domain or external flag changed)."""
    refresh_accounts(
        Account.objects.filter(structure=structure).values_list("pk", flat=True).iterator()
    )


def refresh_accounts(account_ids: Iterable[int]) -> None:
    """Recompute the rows of these accounts (after bulk writes that bypass `save`).

    Rows are rebuilt in bulk: the new rows are sorted by name and each run of them that
    falls in the same gap between existing rows shares that gap (one neighbour lookup per
    gap, not per row), then inserted with `bulk_create`.
    """
    ids = list(account_ids)
    with transaction.atomic():
        for start in range(0, len(ids), 2000):
            chunk = ids[start : start + 2000]
            DirectoryEntry.objects.filter(account_id__in=chunk).delete()
            accounts = (
                Account.objects.filter(pk__in=chunk)
                .filter(_MAYBE_LISTED)  # the rest cannot be listed: not even loaded
                .select_related("structure", "listing")
            )
            if not insert_new_entries([entry_row(a) for a in accounts if is_listed(a)]):
                rebuild_entries()
                return


def insert_new_entries(rows: list[EntryRow]) -> bool:
    """Insert rows of accounts that have none yet, with their rowids (SQLite) placed in
    name order (`_place_batch`), in multi-row inserts (caducee/core/bulk.py). False, with
    nothing inserted, when a gap between existing rows is full: rebuild the table then.
    """
    if not rows:
        return True
    if ordered_rowids() and not _place_batch(rows):
        return False
    insert_rows(
        DirectoryEntry,
        ENTRY_COLUMNS,
        [row.values() for row in rows],
    )
    return True


Neighbour = tuple[int, str] | None  # an existing row's (search_rowid, sort_key)
NEIGHBOUR_CHUNK = 500  # keys per query (four parameters' worth of lookups each)


def _neighbours(keys: list[str]) -> list[tuple[Neighbour, Neighbour]]:
    """For each key, the existing rows just before and just after it in name order (rows
    with a rowid only): one query per NEIGHBOUR_CHUNK keys, each lookup an index seek
    (`directory_sort`), instead of two ORM queries per gap (issue #19: the import)."""
    table = connection.ops.quote_name(DirectoryEntry._meta.db_table)
    found: list[tuple[Neighbour, Neighbour]] = []
    for start in range(0, len(keys), NEIGHBOUR_CHUNK):
        chunk = keys[start : start + NEIGHBOUR_CHUNK]
        values = ", ".join(["(%s, %s)"] * len(chunk))
        near = (
            f"FROM {table} WHERE search_rowid IS NOT NULL AND sort_key {{op}} k.key "
            "ORDER BY sort_key {order} LIMIT 1"
        )
        before, after = near.format(op="<", order="DESC"), near.format(op=">", order="ASC")
        sql = (
            f"WITH k(i, key) AS (VALUES {values}) SELECT "  # noqa: S608
            f"(SELECT search_rowid {before}), (SELECT sort_key {before}), "
            f"(SELECT search_rowid {after}), (SELECT sort_key {after}) FROM k ORDER BY k.i"
        )
        params = [value for i, key in enumerate(chunk) for value in (i, key)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for low_id, low_key, high_id, high_key in cursor.fetchall():
                found.append(
                    (
                        (int(low_id or 0), str(low_key)) if low_key is not None else None,
                        (int(high_id or 0), str(high_key)) if high_key is not None else None,
                    )
                )
    return found


def _place_batch(rows: list[EntryRow]) -> bool:
    """Give new rows (not yet in the table) rowids in name order; False if a gap is full.

    Each run of new rows that falls between the same two existing rows shares that gap,
    spread evenly."""
    rows.sort(key=lambda r: r.sort_key)
    around = _neighbours([row.sort_key for row in rows])
    i = 0
    while i < len(rows):
        low_row, high_row = around[i]
        j = i + 1
        while j < len(rows) and (high_row is None or rows[j].sort_key < high_row[1]):
            j += 1
        low = low_row[0] if low_row else 0
        count = j - i
        high = high_row[0] if high_row else min(low + (count + 1) * GAP, MAX_ROWID)
        step = min(GAP, (high - low) // (count + 1))
        if step < 1:
            return False
        for k, row in enumerate(rows[i:j]):
            row.search_rowid = low + (k + 1) * step
        i = j
    return True


def rebuild_entries(batch: int = 2000) -> int:
    """Recompute the whole search table; returns the number of listed accounts.

    Two passes over the accounts: the first collects the name order (and so the rowids),
    the second writes the rows in bulk, `batch` at a time; then the index is compacted.
    """
    source = Account.objects.select_related("structure", "listing").order_by("pk")
    with transaction.atomic():
        DirectoryEntry.objects.all().delete()
        keys = [
            (sort_key_of(account), account.pk)
            for account in source.iterator(chunk_size=batch)
            if is_listed(account)
        ]
        keys.sort()
        step = max(2, min(GAP, MAX_ROWID // (len(keys) + 2)))
        rowids = {pk: (i + 1) * step for i, (_key, pk) in enumerate(keys)}
        del keys
        chunk: list[DirectoryEntry] = []
        for account in source.iterator(chunk_size=batch):
            if account.pk not in rowids:
                continue
            entry = build_entry(account)
            if ordered_rowids():
                entry.search_rowid = rowids[account.pk]
            chunk.append(entry)
            if len(chunk) >= batch:
                DirectoryEntry.objects.bulk_create(chunk)
                chunk = []
        if chunk:
            DirectoryEntry.objects.bulk_create(chunk)
        compact_index()
    return len(rowids)


def compact_index() -> None:
    """SQLite: merge the FTS5 index of the search rows into one segment. A rebuild writes
    a million rows through the triggers, leaving the index in many segments, each of which
    every search term then looks up; merged, a term is one lookup. PostgreSQL: nothing."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO directory_entry_fts(directory_entry_fts) VALUES ('optimize')")
