"""Regional directory search over DirectoryEntry: prefix match on every word typed.

SQLite answers through the FTS5 table `directory_entry_fts` (prefix indexes), PostgreSQL
through the GIN index on `to_tsvector('simple', keywords)`; results are ordered by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
            "WHERE to_tsvector('simple', keywords) @@ to_tsquery('simple', %s)",
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


@dataclass(frozen=True)
class Page:
    entries: list[DirectoryEntry]
    total: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def search_page(
    query: str = "", *, page: int = 1, size: int = 25, type: str = "", department: str = ""
) -> Page:
    """One page of results and the total, ordered by name."""
    size = max(1, min(size, 100))
    type, department = type.upper(), department.upper()
    words = terms(query)
    if words and connection.vendor == "sqlite":
        return _sqlite_page(words, page, size, type, department)
    queryset = search_entries(query, type=type, department=department)
    total = queryset.count()
    number = _clamp(page, total, size)
    start = (number - 1) * size
    return Page(list(queryset[start : start + size]), total, number, size)


def _clamp(page: int, total: int, size: int) -> int:
    return min(max(1, page), max(1, -(-total // size)))


FREQUENT = 2000  # above this many matches, walk the name index instead of sorting matches
_FTS = "SELECT rowid FROM directory_entry_fts WHERE directory_entry_fts MATCH %s"


def _sqlite_page(words: list[str], page: int, size: int, type: str, department: str) -> Page:
    """SQLite: count through FTS5, then pick the cheaper plan for the page.

    The SQL is assembled from constant fragments only; every value is a parameter.

    Few matches: fetch them and sort. Many matches (a common word): walk the name index
    in order and keep the rows whose id is among the matches; it stops after one page.
    """
    expr = " AND ".join(f'"{w}"*' for w in words)
    filters, params = "", [expr]
    if type:
        filters += " AND e.type = %s"
        params.append(type)
    if department:
        filters += " AND e.department = %s"
        params.append(department)
    with connection.cursor() as cursor:
        if filters:
            cursor.execute(
                "SELECT count(*) FROM directory_directoryentry e "  # noqa: S608 constants only
                f"WHERE e.account_id IN ({_FTS}){filters}",
                params,
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM directory_entry_fts WHERE directory_entry_fts MATCH %s",
                [expr],
            )
        total = int(cursor.fetchone()[0])
    number = _clamp(page, total, size)
    if total == 0:
        return Page([], 0, number, size)
    if total > FREQUENT:
        index = (
            "directory_type_sort"
            if type
            else "directory_dept_sort"
            if department
            else ("directory_sort")
        )
        sql = (
            f"SELECT e.* FROM directory_directoryentry e INDEXED BY {index} "  # noqa: S608
            f"WHERE e.account_id IN ({_FTS}){filters} ORDER BY e.sort_key LIMIT %s OFFSET %s"
        )
    else:
        sql = (
            f"SELECT e.* FROM ({_FTS}) m JOIN directory_directoryentry e "  # noqa: S608
            f"ON e.account_id = m.rowid WHERE 1 = 1{filters} "
            "ORDER BY e.sort_key LIMIT %s OFFSET %s"
        )
    rows = DirectoryEntry.objects.raw(sql, [*params, size, (number - 1) * size])
    return Page(list(rows), total, number, size)


def autocomplete(query: str, limit: int = 20) -> list[DirectoryEntry]:
    """At most `limit` entries for search-as-you-type (nothing below 2 characters)."""
    if len(query.strip()) < 2 or not terms(query):
        return []
    return search_page(query, size=max(1, min(limit, 20))).entries


def search(query: str, limit: int = 20) -> list[Account]:
    """The accounts behind `autocomplete(query)`, in the same order (other apps' pickers)."""
    ids = [entry.account_id for entry in autocomplete(query, limit)]
    found = Account.objects.select_related("structure").in_bulk(ids)
    return [found[i] for i in ids if i in found]
