"""The directory search with the national MSSanté directory: this platform's accounts and
the other operators' mailboxes in one list, in name order, the latter marked « autre
opérateur ».

National entries are searched like the local ones (search.py): SQLite through the
current generation's FTS5 table, PostgreSQL through the GIN index on `search_vector`, each
typed word read as the few whole words it starts when the generation's word list says
they are few (`_postgres_words`). An entry's key follows the name order inside its
generation (national_load.py), so the current generation is one key range and the first
page of matches is read straight from the index in key order, whatever the number of
matches.

A page of the combined list takes the keys (id, folded name, address) of the first
`page * size` matches of each side (at most COUNT_LIMIT + size: deeper pages are not
offered), merges them by folded name, keeps its slice and loads only the entries of that
slice. A national entry whose address is a local account's on the same window is left out
(the platform's own domains are already left out at import).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from django.db import connection, transaction

from caducee.directory.entries import keyword_text
from caducee.directory.models import DirectoryEntry, NationalEntry
from caducee.directory.national_load import WORDS, current_generation, fts_table, key_range
from caducee.directory.search import (
    COUNT_LIMIT,
    SORT_IN_MEMORY,
    MatchKey,
    Page,
    capped,
    first_keys,
    first_matches,
    load_entries,
    terms,
)

OTHER_OPERATOR = "autre opérateur"
WALK = 20_000  # PostgreSQL: keys walked in order before fetching every match instead
EXPAND = 16  # PostgreSQL: a typed word starting at most this many words is read as them


@dataclass(frozen=True)
class Hit:
    """One result, local or national, with what the pages, the API and the autocomplete
    show."""

    name: str
    type: str
    email: str
    mssante: str
    structure: str
    fields: list[tuple[str, str, str]]  # (key, title, value)
    account_id: int | None = None  # None for another operator's mailbox
    other_operator: bool = False
    sort_key: str = ""

    @property
    def address(self) -> str:
        return (self.mssante or self.email).lower()


def local_hit(entry: DirectoryEntry) -> Hit:
    data: dict[str, Any] = entry.data or {}
    return Hit(
        name=entry.display_name,
        type=entry.type,
        email=entry.email,
        mssante=entry.mssante_address,
        structure=str(data.get("structure", "")),
        fields=[(str(k), str(t), str(v)) for k, t, v in data.get("fields", [])],
        account_id=entry.account_id,
        sort_key=entry.sort_key,
    )


def national_hit(entry: NationalEntry) -> Hit:
    fields = [
        ("profession", "Profession", entry.profession),
        ("specialty", "Spécialité", entry.specialty),
        ("rpps", "Identifiant national", entry.rpps),
        ("city", "Commune", entry.city),
        ("department", "Département", entry.department),
    ]
    return Hit(
        name=entry.display_name,
        type=entry.bal_type,
        email="",
        mssante=entry.address,
        structure=entry.organisation,
        fields=[f for f in fields if f[2]],
        other_operator=True,
        sort_key=national_sort_key(entry.display_name),
    )


def national_sort_key(display_name: str) -> str:
    """A national entry's place among the local ones' `sort_key` (entries.sort_key_of
    without the account id)."""
    return keyword_text(display_name)[:300]


# --- National side -------------------------------------------------------------------------


def _filters(type: str, department: str) -> tuple[str, list[str]]:
    sql, params = "", []
    if type:
        sql += " AND n.bal_type = %s"
        params.append(type)
    if department:
        sql += " AND n.department = %s"
        params.append(department)
    return sql, params


def _sqlite_ids(
    generation: int,
    words: list[str],
    limit: int,
    type: str,
    department: str,
    count: bool,
) -> tuple[list[int], int]:
    """One read of the generation's index in key order gives both the first `limit` keys
    and the count (up to COUNT_LIMIT + 1): FTS5 merges the lists of common words once, not
    twice."""
    low, high = key_range(generation)
    fts = fts_table(generation)
    filters, extra = _filters(type, department)
    take = max(limit, COUNT_LIMIT + 1) if count else limit
    if words and filters:
        sql = (
            f"SELECT {fts}.rowid FROM {fts} JOIN directory_nationalentry n "  # noqa: S608
            f"ON n.id = {fts}.rowid WHERE {fts} MATCH %s AND {fts}.rowid > %s "
            f"AND {fts}.rowid < %s{filters} ORDER BY {fts}.rowid LIMIT %s"
        )
    elif words:
        sql = (
            f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s "  # noqa: S608
            "AND rowid > %s AND rowid < %s ORDER BY rowid LIMIT %s"
        )
    else:
        sql = (
            "SELECT n.id FROM directory_nationalentry n "  # noqa: S608
            f"WHERE n.id > %s AND n.id < %s{filters} ORDER BY n.id LIMIT %s"
        )
    match = [" AND ".join(f'"{w}"*' for w in words)] if words else []
    with connection.cursor() as cursor:
        cursor.execute(sql, [*match, low, high, *extra, take])
        keys = [int(row[0]) for row in cursor.fetchall()]
    return keys[:limit], len(keys) if count else 0


_LEXEME = re.compile(r"[a-z0-9]+")


def _postgres_words(generation: int, words: list[str]) -> list[list[str]]:
    """For each typed word, the first EXPAND + 1 words of the generation it starts (in
    order: the word itself first when it is one), from the word list of the load (one
    index range per word)."""
    highs = [w[:-1] + chr(ord(w[-1]) + 1) for w in words]  # the first string after the prefix
    found: list[list[str]] = [[] for _ in words]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.n, x.word FROM unnest(%s::text[], %s::text[]) "  # noqa: S608
            "WITH ORDINALITY AS t(low, high, n) CROSS JOIN LATERAL ("
            f"SELECT word FROM {WORDS} WHERE generation_id = %s "
            "AND word >= t.low AND word < t.high ORDER BY word LIMIT %s) x",
            [words, highs, generation, EXPAND + 1],
        )
        for number, word in cursor.fetchall():
            found[int(number) - 1].append(str(word))
    return found


def _postgres_query(generation: int, words: list[str]) -> tuple[str, str] | None:
    """The tsquery of the typed words, and a cheaper one whose matches are some of its
    matches ("" when there is none worth asking); None when a typed word starts no word of
    the directory (nothing matches).

    A prefix (`kine:*`) makes GIN read every entry of every word it starts, into a bitmap,
    before intersecting; whole words are intersected from their lists, skipping through the
    longer ones. So a typed word that starts at most EXPAND words is asked as those words
    (« kine » → `kinesitherapeute`); one that starts more (« dup ») stays a prefix, and
    then the lower bound asks it as the whole word when it is one."""
    full: list[str] = []
    bound: list[str] = []
    for word, starts in zip(words, _postgres_words(generation, words), strict=True):
        if not starts:
            return None
        if len(starts) <= EXPAND and all(_LEXEME.fullmatch(w) for w in starts):
            group = starts[0] if len(starts) == 1 else f"({' | '.join(starts)})"
            full.append(group)
            bound.append(group)
        else:
            full.append(f"{word}:*")
            bound.append(word if starts[0] == word else "")
    if all(full_part == part for full_part, part in zip(full, bound, strict=True)) or "" in bound:
        return " & ".join(full), ""
    return " & ".join(full), " & ".join(bound)


def _postgres_ids(
    generation: int,
    words: list[str],
    limit: int,
    type: str,
    department: str,
) -> tuple[list[int], int]:
    low, high = key_range(generation)
    filters, extra = _filters(type, department)
    where = "n.id > %s AND n.id < %s"
    params: list[Any] = [low, high]
    bound = ""
    if words:
        query = _postgres_query(generation, words)
        if query is None:
            return [], 0
        where += " AND n.search_vector @@ to_tsquery('simple', %s)"
        params.append(query[0])
        bound = query[1]
    cap = max(SORT_IN_MEMORY, COUNT_LIMIT) + 1
    count_sql = (
        "SELECT count(*) FROM (SELECT 1 FROM directory_nationalentry n "  # noqa: S608
        f"WHERE {where}{filters} LIMIT %s) s"
    )
    with connection.cursor() as cursor:
        matches = 0
        if bound:
            # Some typed word stays a prefix: its whole word's matches first (common words
            # reach the cap there); the prefix is read only below the cap.
            cursor.execute(count_sql, [low, high, bound, *extra, cap])
            matches = int(cursor.fetchone()[0])
        if matches < cap:
            cursor.execute(count_sql, [*params, *extra, cap])
            matches = int(cursor.fetchone()[0])
        if matches == 0:
            return [], 0
        if matches > SORT_IN_MEMORY and words:
            # Many matches: the first keys, each row checked, at most WALK of them. Matches
            # spread over the alphabet (« médecin paris ») are found there at once; matches
            # clustered further on (a name prefix: the keys follow the names) are not, and
            # then the bitmap plan below fetches them all and keeps the first `limit`.
            cursor.execute(
                "SELECT w.id FROM (SELECT n.id, n.search_vector "  # noqa: S608
                f"FROM directory_nationalentry n WHERE n.id > %s AND n.id < %s{filters} "
                "ORDER BY n.id LIMIT %s) w "
                "WHERE w.search_vector @@ to_tsquery('simple', %s) ORDER BY w.id LIMIT %s",
                [low, high, *extra, WALK, params[2], limit],
            )
            found = [int(row[0]) for row in cursor.fetchall()]
            if len(found) == limit:
                return found, matches
        if matches > SORT_IN_MEMORY and not words:  # every row matches: walk the keys
            sql = (
                "SELECT n.id FROM directory_nationalentry n "  # noqa: S608
                f"WHERE {where}{filters} ORDER BY n.id LIMIT %s"
            )
        else:  # `id + 0`: not the key order (a walk), the matches fetched and the first kept
            sql = (
                "SELECT n.id FROM directory_nationalentry n "  # noqa: S608
                f"WHERE {where}{filters} ORDER BY n.id + 0 LIMIT %s"
            )
        cursor.execute(sql, [*params, *extra, limit])
        return [int(row[0]) for row in cursor.fetchall()], matches


def national_matches(
    query: str, *, limit: int, type: str = "", department: str = "", count: bool = True
) -> tuple[list[NationalEntry], int, bool]:
    """The first `limit` national entries matching, in name order, and their number
    (exact up to COUNT_LIMIT)."""
    with transaction.atomic():
        ids, matches = _national_ids(query, limit, type, department, count)
        found = NationalEntry.objects.in_bulk(ids)
    return [found[i] for i in ids if i in found], *capped(matches)


def national_keys(
    query: str, *, limit: int, type: str = "", department: str = ""
) -> tuple[list[MatchKey], int, bool]:
    """`national_matches` as the keys the combined list merges on (id, folded name,
    address): the entries are loaded only for the page shown."""
    with transaction.atomic():
        ids, matches = _national_ids(query, limit, type, department, True)
        rows = NationalEntry.objects.filter(pk__in=ids).values_list("id", "display_name", "address")
        found = {pk: (name, address) for pk, name, address in rows}
    keys = [
        MatchKey(i, national_sort_key(found[i][0]), found[i][1], other_operator=True)
        for i in ids
        if i in found
    ]
    return keys, *capped(matches)


def _national_ids(
    query: str, limit: int, type: str, department: str, count: bool
) -> tuple[list[int], int]:
    """The ids of the first `limit` matches in name order, and their number (in the
    caller's transaction: on SQLite the generation read and its index are one snapshot, a
    load finishing meanwhile drops the replaced generation's index)."""
    type, department = type.upper(), department.upper()
    if type and type not in ("PER", "ORG"):
        return [], 0
    words = terms(query)
    generation = current_generation()
    if generation is None:
        return [], 0
    if connection.vendor == "postgresql":
        return _postgres_ids(generation, words, limit, type, department)
    return _sqlite_ids(generation, words, limit, type, department, count)


# --- Both sides ------------------------------------------------------------------------------


class _Mergeable(Protocol):
    @property
    def sort_key(self) -> str: ...
    @property
    def mssante(self) -> str: ...
    @property
    def other_operator(self) -> bool: ...


M = TypeVar("M", bound=_Mergeable)


def _merge(local: Sequence[M], national: Sequence[M]) -> list[M]:
    """Both sides in name order (the local side first on equal keys, each side in its own
    order on its ties), without the national entries whose address is a local one's."""
    addresses = {h.mssante for h in local if h.mssante}
    others = [h for h in national if h.mssante not in addresses]
    return sorted([*local, *others], key=lambda h: (h.sort_key, h.other_operator))


def directory_page(
    query: str = "",
    *,
    page: int = 1,
    size: int = 25,
    type: str = "",
    department: str = "",
    national: bool = False,
) -> Page[Hit]:
    """One page of results in name order: the regional directory's, and the national
    directory's when `national` (see `national.may_search_national`).

    With the national directory, the first `page * size` matches of each side are read as
    keys only (`first_keys`, `national_keys`) and merged; only the page's entries are
    loaded and shown (at page 40, 25 entries instead of 2,000)."""
    size = max(1, min(size, 100))
    if not national:
        local = first_matches(query, page=page, size=size, type=type, department=department)
        hits = [local_hit(e) for e in local.entries]
        return Page(hits, local.total, local.number, size, local.exact)
    number = max(1, min(page, -(-COUNT_LIMIT // size)))
    window = number * size
    keys = first_keys(query, size=window, type=type, department=department)
    others, matches, exact = national_keys(query, limit=window, type=type, department=department)
    total = keys.total + matches
    exact = exact and keys.exact and total <= COUNT_LIMIT
    total = min(total, COUNT_LIMIT)
    number = min(number, max(1, -(-total // size)))
    start = (number - 1) * size
    return Page(
        _hits(_merge(keys.entries, others)[start : start + size]), total, number, size, exact
    )


def _hits(keys: list[MatchKey]) -> list[Hit]:
    """The hits of these merged keys, in their order (at most two queries: the page's local
    entries, its national ones)."""
    local = {e.account_id: e for e in load_entries([k.id for k in keys if not k.other_operator])}
    national = NationalEntry.objects.in_bulk([k.id for k in keys if k.other_operator])
    hits = []
    for key in keys:
        if key.other_operator and key.id in national:
            hits.append(national_hit(national[key.id]))
        elif not key.other_operator and key.id in local:
            hits.append(local_hit(local[key.id]))
    return hits


def suggestions(query: str, *, national: bool, limit: int = 20) -> list[Hit]:
    """At most `limit` results for search-as-you-type (nothing below 2 characters)."""
    if len(query.strip()) < 2 or not terms(query):
        return []
    limit = max(1, min(limit, 20))
    local = [local_hit(e) for e in first_matches(query, size=limit, count=False).entries]
    if not national:
        return local
    rows, _matches, _exact = national_matches(query, limit=limit, count=False)
    return _merge(local, [national_hit(r) for r in rows])[:limit]
