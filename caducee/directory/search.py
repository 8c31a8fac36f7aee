"""Regional directory search over DirectoryEntry: prefix match on every word typed.

SQLite answers through the FTS5 table `directory_entry_fts` (prefix indexes), PostgreSQL
through the GIN index on `to_tsvector('simple', keywords)`; results are ordered by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from caducee.accounts.models import Account
from caducee.directory.entries import keyword_text
from caducee.directory.models import DirectoryEntry

MAX_TERMS = 8
MAX_QUERY = 200
_TOKEN = re.compile(r"[a-z0-9]+")


def terms(query: str) -> list[str]:
    """The folded words of a query; only [a-z0-9] survive, so nothing reaches SQL raw."""
    return _TOKEN.findall(keyword_text(query[:MAX_QUERY]))[:MAX_TERMS]


def _match(words: list[str]) -> RawSQL:
    if connection.vendor == "postgresql":
        expr = " & ".join(f"{w}:*" for w in words)
        return RawSQL(
            "SELECT account_id FROM directory_directoryentry "
            "WHERE search_vector @@ to_tsquery('simple', %s)",
            [expr],
        )
    if connection.vendor == "sqlite":
        expr = " AND ".join(f'"{w}"*' for w in words)
        return RawSQL(
            "SELECT rowid FROM directory_entry_fts WHERE directory_entry_fts MATCH %s", [expr]
        )
    raise NotImplementedError(connection.vendor)  # pragma: no cover


def search_entries(
    query: str = "", *, type: str = "", department: str = ""
) -> QuerySet[DirectoryEntry]:
    queryset = DirectoryEntry.objects.all()
    words = terms(query)
    if words:
        queryset = queryset.filter(account_id__in=_match(words))
    if type:
        queryset = queryset.filter(type=type.upper())
    if department:
        queryset = queryset.filter(department=department.upper())
    return queryset.order_by("sort_key")


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results (directory entries here, local and national hits in
    national_search.py); `total` is exact up to COUNT_LIMIT, else `exact` is False."""

    entries: list[T]
    total: int
    number: int
    size: int
    exact: bool = True

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


COUNT_LIMIT = 1000  # beyond, the page says « plus de 1 000 résultats »: refine the search


def search_page(
    query: str = "",
    *,
    page: int = 1,
    size: int = 25,
    type: str = "",
    department: str = "",
    count: bool = True,
) -> Page[DirectoryEntry]:
    """One page of results ordered by name, and their number (up to COUNT_LIMIT).

    `count=False` (autocomplete) skips counting and returns the first page.
    """
    return first_matches(
        query,
        page=page,
        size=max(1, min(size, 100)),
        type=type,
        department=department,
        count=count,
    )


def first_matches(
    query: str = "",
    *,
    page: int = 1,
    size: int = 25,
    type: str = "",
    department: str = "",
    count: bool = True,
) -> Page[DirectoryEntry]:
    """`search_page` without its cap on `size`."""
    type, department = type.upper(), department.upper()
    words = terms(query)
    if words:
        found = _indexed(words, page, size, type, department, count)
        entries = load_entries([key.id for key in found.entries])
        if not count:
            return _uncounted(entries, size)
        return Page(entries, found.total, found.number, size, found.exact)
    queryset = search_entries(query, type=type, department=department)
    if not count:
        return _uncounted(list(queryset[:size]), size)
    total, exact = capped(queryset[: COUNT_LIMIT + 1].count())
    number = _clamp(page, total, size)
    start = (number - 1) * size
    return Page(list(queryset[start : start + size]), total, number, size, exact)


@dataclass(frozen=True)
class MatchKey:
    """What the combined search with the national directory (national_search.py) merges a
    local match on: its sort key and MSSanté address; the entry itself is loaded only when
    it is on the page shown (`load_entries`)."""

    id: int  # the entry's account id (a national entry's own id in national_search.py)
    sort_key: str
    mssante: str
    other_operator: bool = False


def first_keys(
    query: str = "", *, size: int = 25, type: str = "", department: str = ""
) -> Page[MatchKey]:
    """The keys of the first `size` matches, in the order of `first_matches`, and their
    number (up to COUNT_LIMIT): one index read, no entry loaded."""
    type, department = type.upper(), department.upper()
    words = terms(query)
    if words:
        return _indexed(words, 1, size, type, department, True)
    queryset = search_entries(query, type=type, department=department)
    total, exact = capped(queryset[: COUNT_LIMIT + 1].count())
    rows = queryset.values_list("account_id", "sort_key", "mssante_address")[:size]
    return Page([MatchKey(*row) for row in rows], total, 1, size, exact)


def load_entries(ids: list[int]) -> list[DirectoryEntry]:
    """These entries in this order (one query; an entry gone meanwhile is left out)."""
    found = DirectoryEntry.objects.defer("keywords").in_bulk(ids)  # keywords: search only
    return [found[i] for i in ids if i in found]


def _indexed(
    words: list[str], page: int, size: int, type: str, department: str, count: bool
) -> Page[MatchKey]:
    if connection.vendor == "sqlite":
        return _sqlite_page(words, page, size, type, department, count)
    if connection.vendor == "postgresql":
        return _postgres_page(words, page, size, type, department, count)
    raise NotImplementedError(connection.vendor)  # pragma: no cover


def capped(total: int) -> tuple[int, bool]:
    """A count shown as is up to COUNT_LIMIT, else as « more than COUNT_LIMIT » (not exact)."""
    return (COUNT_LIMIT, False) if total > COUNT_LIMIT else (total, True)


def _uncounted(entries: list[T], size: int) -> Page[T]:
    return Page(entries, len(entries), 1, size, len(entries) < size)


def _clamp(page: int, total: int, size: int) -> int:
    return min(max(1, page), max(1, -(-total // size)))


_FTS = "SELECT rowid FROM directory_entry_fts WHERE directory_entry_fts MATCH %s"


def _sqlite_page(
    words: list[str], page: int, size: int, type: str, department: str, count: bool
) -> Page[MatchKey]:
    """SQLite: FTS5 yields matches in rowid order, which is the name order (entries.py).

    The page is read straight from the index (LIMIT/OFFSET on the FTS5 scan), so its cost
    does not grow with the number of matches. The SQL is assembled from constant fragments
    only; every value is a parameter.
    """
    expr = " AND ".join(f'"{w}"*' for w in words)
    filters, params = "", [expr]
    if type:
        filters += " AND +e.type = %s"  # `+`: no index serves the filter, the FTS5 scan drives
        params.append(type)
    if department:
        filters += " AND +e.department = %s"
        params.append(department)
    with connection.cursor() as cursor:
        total, exact, number = 0, True, 1
        if count and filters:
            cursor.execute(
                "SELECT count(*) FROM (SELECT 1 FROM (" + _FTS + " ORDER BY rowid) m "  # noqa: S608
                "JOIN directory_directoryentry e ON e.search_rowid = m.rowid "
                f"WHERE 1 = 1{filters} LIMIT %s)",
                [*params, COUNT_LIMIT + 1],
            )
        elif count:  # every index row is an entry's (the triggers of migration 0003)
            cursor.execute(
                "SELECT count(*) FROM (" + _FTS + " LIMIT %s)",  # noqa: S608
                [*params, COUNT_LIMIT + 1],
            )
        if count:
            total, exact = capped(int(cursor.fetchone()[0]))
            number = _clamp(page, total, size)
            if total == 0:
                return Page([], 0, number, size)
        cursor.execute(
            "SELECT e.account_id, e.sort_key, e.mssante_address "
            "FROM (" + _FTS + " ORDER BY rowid) m "
            "JOIN directory_directoryentry e ON e.search_rowid = m.rowid "
            f"WHERE 1 = 1{filters} ORDER BY m.rowid LIMIT %s OFFSET %s",
            [*params, size, (number - 1) * size],
        )
        keys = [MatchKey(*row) for row in cursor.fetchall()]
    return Page(keys, total, number, size, exact)


SORT_IN_MEMORY = 1000  # PostgreSQL: up to this many matches, fetch them and sort


def _postgres_page(
    words: list[str], page: int, size: int, type: str, department: str, count: bool
) -> Page[MatchKey]:
    """PostgreSQL: count through the GIN index, then the cheaper plan for the page.

    Up to SORT_IN_MEMORY matches they are fetched (bitmap scan) and sorted; beyond, the
    name index is walked and each row checked against its stored tsvector, which stops
    after one page. Constant SQL fragments only; every value is a parameter.
    """
    expr = " & ".join(f"{w}:*" for w in words)
    where, params = "e.search_vector @@ to_tsquery('simple', %s)", [expr]
    if type:
        where += " AND e.type = %s"
        params.append(type)
    if department:
        where += " AND e.department = %s"
        params.append(department)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM directory_directoryentry e "  # noqa: S608
            "WHERE " + where + " LIMIT %s) s",
            [*params, max(SORT_IN_MEMORY, COUNT_LIMIT) + 1],
        )
        matches = int(cursor.fetchone()[0])
        total, exact = capped(matches)
        number = _clamp(page, total, size) if count else 1
        if matches == 0:
            return Page([], 0, number, size)
        if matches <= SORT_IN_MEMORY:
            sql = (
                "WITH m AS MATERIALIZED (SELECT e.account_id, e.sort_key, "  # noqa: S608
                "e.mssante_address FROM directory_directoryentry e WHERE " + where + ") "
                "SELECT account_id, sort_key, mssante_address FROM m "
                "ORDER BY sort_key LIMIT %s OFFSET %s"
            )
        else:
            sql = (
                "SELECT e.account_id, e.sort_key, e.mssante_address "
                "FROM directory_directoryentry e WHERE "
                + where
                + " ORDER BY e.sort_key LIMIT %s OFFSET %s"
            )
        cursor.execute(sql, [*params, size, (number - 1) * size])
        keys = [MatchKey(*row) for row in cursor.fetchall()]
    return Page(keys, total, number, size, exact)


def autocomplete(query: str, limit: int = 20) -> list[DirectoryEntry]:
    """At most `limit` entries for search-as-you-type (nothing below 2 characters)."""
    if len(query.strip()) < 2 or not terms(query):
        return []
    return search_page(query, size=max(1, min(limit, 20)), count=False).entries


def search(query: str, limit: int = 20) -> list[Account]:
    """The accounts behind `autocomplete(query)`, in the same order (other apps' pickers)."""
    ids = [entry.account_id for entry in autocomplete(query, limit)]
    found = Account.objects.select_related("structure").in_bulk(ids)
    return [found[i] for i in ids if i in found]
