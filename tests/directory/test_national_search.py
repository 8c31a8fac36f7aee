"""The combined list (local and national) merges on keys and loads only its page (issue #19,
point 2): every page, deep ones included, is the page the former merge of whole entries
gave, ties in the sort keys included, in a number of queries that does not grow with the
page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caducee.core.context import cli_context
from caducee.directory.models import DirectoryEntry, NationalEntry
from caducee.directory.national_search import (
    Hit,
    directory_page,
    local_hit,
    national_hit,
    national_matches,
)
from caducee.directory.operations import assign_mssante_address, import_national_directory
from caducee.directory.search import COUNT_LIMIT, Page, first_matches
from caducee.structures.models import Structure
from tests.directory.helpers import listed_account
from tests.directory.national_files import line, write

pytestmark = pytest.mark.django_db


def _former_page(query: str, page: int, size: int, type: str = "") -> Page[Hit]:
    """The merge as it was: the whole first `page * size` entries of each side turned into
    hits, sorted, then sliced."""
    number = max(1, min(page, -(-COUNT_LIMIT // size)))
    window = number * size
    local = first_matches(query, size=window, type=type)
    rows, matches, exact = national_matches(query, limit=window, type=type)
    total = local.total + matches
    exact = exact and local.exact and total <= COUNT_LIMIT
    total = min(total, COUNT_LIMIT)
    number = min(number, max(1, -(-total // size)))
    local_hits = [local_hit(e) for e in local.entries]
    addresses = {h.mssante for h in local_hits if h.mssante}
    others = [h for h in map(national_hit, rows) if h.mssante not in addresses]
    merged = sorted([*local_hits, *others], key=lambda h: (h.sort_key, h.other_operator))
    start = (number - 1) * size
    return Page(merged[start : start + size], total, number, size, exact)


@pytest.fixture
def combined(tmp_path: Path, structure_a: Structure) -> str:
    """Local and national DURAND entries interleaved by first name; national ties (same
    name, other address); a national name whose folded key is exactly a local entry's; a
    national entry carrying a local entry's address (left out). Returns that address."""
    locals_ = [
        listed_account(structure_a, last_name="DURAND", first_name=first)
        for first in ("Aaron", "Camille", "Élodie", "Hugo", "Inès", "Marc", "Zoé")
    ]
    for account in locals_[:4]:
        assign_mssante_address(cli_context(), account, None)
    aaron, hugo = locals_[0], locals_[3]
    lines = [
        line(f"n{n}@autre.mssante.fr", "DURAND", first)
        for n, first in enumerate(("Bruno", "Denis", "Fanny", "Gaël", "Léa", "Yves"))
    ]
    lines += [line(f"t{n}@autre.mssante.fr", "DURAND", "Camille") for n in range(3)]  # ties
    lines += [line(f"u{n}@autre.mssante.fr", "DURAND", "Paul") for n in range(4)]  # ties
    lines.append(line("egal@autre.mssante.fr", "DURAND", f"Aaron {aaron.pk:012d}"))
    lines.append(line("copie@autre.mssante.fr", "DURAND", "Copie"))
    import_national_directory(cli_context(), write(tmp_path / "f.txt", lines))
    local_address = DirectoryEntry.objects.get(account=hugo).mssante_address
    assert local_address
    NationalEntry.objects.filter(address="copie@autre.mssante.fr").update(address=local_address)
    return local_address


@pytest.mark.parametrize(("query", "type"), [("durand", ""), ("", ""), ("durand", "PER")])
def test_every_page_is_the_former_merge_s_page(combined: str, query: str, type: str) -> None:
    pages = []
    for size in (1, 3, 4):
        for number in range(1, 25 // size + 3):  # past the last page too
            page = directory_page(query, page=number, size=size, type=type, national=True)
            assert page == _former_page(query, number, size, type), (size, number)
            pages.append(page)
    assert any(p.number > 5 and p.entries for p in pages)
    if query:  # the list without a query holds the structure's other accounts too
        whole = directory_page(query, size=100, type=type, national=True).entries
        assert len(whole) == 7 + 14  # the copy of a local address left out
        local, equal, bruno = whole[:3]
        assert (local.name, local.other_operator, equal.other_operator) == (
            "DURAND Aaron",
            False,
            True,
        )
        assert equal.sort_key == local.sort_key and bruno.name == "DURAND Bruno"
        assert [h.name for h in whole].count("DURAND Camille") == 4
        assert combined not in [h.mssante for h in whole if h.other_operator]


def test_the_queries_do_not_grow_with_the_page(combined: str) -> None:
    counts = {}
    for number in (1, 4, 7):
        with CaptureQueriesContext(connection) as captured:
            page = directory_page("durand", page=number, size=3, national=True)
        assert {h.other_operator for h in page.entries} == {False, True}, (number, page)
        counts[number] = len(captured)
    assert counts[1] == counts[4] == counts[7], counts


def _plan(sql: str, params: list[int | str]) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A few rows: the planner would scan them anyway; forbid it to show the index
            # serves the query (at 1,000,000 entries it chooses it by itself).
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            return "\n".join(str(row[0]) for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


_BY_TYPE = (
    "SELECT n.id FROM directory_nationalentry n WHERE n.id > %s AND n.id < %s "
    "AND n.bal_type = %s ORDER BY n.id LIMIT 10"
)
_BY_DEPARTMENT = (
    "SELECT n.id FROM directory_nationalentry n WHERE n.id > %s AND n.id < %s "
    "AND n.department = %s ORDER BY n.id LIMIT 10"
)


@pytest.mark.parametrize(
    ("filters", "sql", "value", "index"),
    [
        ({"type": "ORG"}, _BY_TYPE, "ORG", "national_type_key"),
        ({"department": "13"}, _BY_DEPARTMENT, "13", "national_dept_key"),
    ],
)
def test_the_national_list_filtered_walks_its_index(
    tmp_path: Path, filters: dict[str, str], sql: str, value: str, index: str
) -> None:
    """The list by type or department without a search reads that type's or department's
    keys in order (migration directory 0008), not every national row (about 100 ms at
    1,000,000 entries for ORG)."""
    lines = [line(f"p{n}@autre.mssante.fr", f"NOM{n:03d}", "Jean") for n in range(30)]
    lines += [
        line(f"o{n}@autre.mssante.fr", f"SERVICE{n}", kind="ORG", department="13") for n in range(3)
    ]
    import_national_directory(cli_context(), write(tmp_path / "f.txt", lines))
    rows, matches, _exact = national_matches(
        "", limit=10, type=filters.get("type", ""), department=filters.get("department", "")
    )
    assert matches == 3
    assert [r.address for r in rows] == [f"o{n}@autre.mssante.fr" for n in range(3)]
    plan = _plan(sql, [0, 2**62, value])
    assert index in plan, plan
