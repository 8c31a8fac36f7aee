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
    queryset = search_entries(query, type=type, department=department)
    total = queryset.count()
    size = max(1, min(size, 100))
    last = max(1, -(-total // size))
    number = min(max(1, page), last)
    start = (number - 1) * size
    return Page(list(queryset[start : start + size]), total, number, size)


def autocomplete(query: str, limit: int = 20) -> list[DirectoryEntry]:
    """At most `limit` entries for search-as-you-type (nothing below 2 characters)."""
    if len(query.strip()) < 2 or not terms(query):
        return []
    return list(search_entries(query)[: max(1, min(limit, 20))])
