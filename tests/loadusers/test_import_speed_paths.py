"""The import's fast paths give the results of the plain ones: the validation pool (forced by
its threshold), CSV text decoded as it is read, and COPY on PostgreSQL."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from caducee.accounts.models import Account
from caducee.audit.verify import verify_chain
from caducee.core.context import cli_context
from caducee.loadusers.importing import import_loadusers
from caducee.loadusers.reading import FileRefused, open_table
from caducee.loadusers.validation_pool import PoolStopped, pool_workers, validation_pool
from caducee.structures.models import Structure
from tests.loadusers.builders import csv_bytes, line, xlsx_bytes

NEVER = 10**9  # a pool threshold no file reaches: the lines are checked in this process


def mixed_lines(count: int) -> list[dict[str, Any]]:
    """Valid lines of every type, faulty ones, a duplicate, links named before and after."""
    lines: list[dict[str, Any]] = []
    for i in range(count):
        kind = ("PER", "MED", "INT", "APP")[i % 4]
        data = line(kind, f"l{i}@ch-a.fr", mssante_particle="")
        if i % 17 == 3:
            data["postal_code"] = "ABCDE"
        if i % 29 == 5:
            data["type"] = "XYZ"
        lines.append(data)
    lines.append(line("ORG", "org@ch-a.fr", connection_accounts="l0@ch-a.fr;l1@ch-a.fr"))
    lines.append(line("ORG", "org2@ch-a.fr", connection_accounts="inconnu@ch-a.fr"))
    lines.append(line("PER", "l2@ch-a.fr"))  # duplicate of line 4
    return lines


def outcome(result: Any) -> tuple[Any, ...]:
    return (
        result.counts,
        [p.as_dict() for p in result.problems],
        result.addresses_generated,
        result.addresses_sample,
    )


def test_the_pool_checks_lines_as_one_process_does(structure_a: Structure) -> None:
    if pool_workers() < 2:
        pytest.skip("one core: the pool is never used")
    Account.objects.create(
        structure=structure_a, email="l1@ch-a.fr", type="MED", last_name="ANCIEN"
    )  # an existing account: an update
    data = csv_bytes(mixed_lines(2300))  # three chunks of lines
    ctx = cli_context()
    alone = import_loadusers(ctx, structure_a, data, dry_run=True, pool_threshold=NEVER)
    pooled = import_loadusers(ctx, structure_a, data, dry_run=True, pool_threshold=0)
    assert (alone.validation_workers, pooled.validation_workers) == (0, pool_workers())
    assert outcome(pooled) == outcome(alone)
    assert pooled.updated == 1 and pooled.rejected > 100 and pooled.created > 2000


def test_a_pool_import_writes_every_valid_line_with_its_audit(structure_a: Structure) -> None:
    if pool_workers() < 2:
        pytest.skip("one core: the pool is never used")
    data = xlsx_bytes(mixed_lines(1200))
    result = import_loadusers(
        cli_context(), structure_a, data, file_name="f.xlsx", pool_threshold=0
    )
    assert result.validation_workers == pool_workers()
    assert Account.objects.filter(structure=structure_a).count() == result.created
    assert Account.objects.get(email="org@ch-a.fr").connection_links.count() == 2
    assert verify_chain().ok


def test_a_pool_process_that_dies_stops_the_import_in_french() -> None:
    with pytest.raises(PoolStopped, match="rien n'a été modifié"):  # noqa: SIM117
        with validation_pool(2) as executor:
            executor.submit(os._exit, 1).result()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_csv_text_is_the_same_read_as_a_stream(encoding: str) -> None:
    lines = [line("PER", "éloïse@ch-a.fr", last_name="Cœur-Élan"), line("MED", "m@ch-a.fr")]
    table = open_table(csv_bytes(lines, encoding=encoding), "f.csv")
    rows = list(table.rows)
    assert [r[0] for r in rows] == [2, 3]
    assert "Cœur-Élan" in rows[0][1] and "éloïse@ch-a.fr" in rows[0][1]
    assert table.size_hint == 3  # header, two lines and the final newline


def test_a_quoted_newline_in_the_header_line_is_read() -> None:
    data = csv_bytes([line("PER", "a@ch-a.fr")])
    header, rest = data.split(b"\r\n", 1)
    table = open_table(header + b';"Note\nlibre"\r\n' + rest, "f.csv")
    assert any("\n" in text for text in table.header.written)
    assert [r[0] for r in table.rows] == [2]


def test_bad_utf8_after_a_bom_is_replaced_and_nul_bytes_refused() -> None:
    data = csv_bytes([line("PER", "a@ch-a.fr", last_name="X")]).replace(b";X;", b";X\xff;")
    rows = list(open_table(data, "f.csv").rows)
    assert any(cell == "X\ufffd" for cell in rows[0][1])
    with pytest.raises(FileRefused, match="octets nuls"):
        open_table(b"email;type\na\x00b;PER\n", "f.csv")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_postgresql_writes_the_accounts_with_copy(structure_a: Structure) -> None:
    lines = [line("PER", f"p{i}@ch-a.fr", mssante_particle=f"p.{i}") for i in range(50)]
    with CaptureQueriesContext(connection) as queries:
        result = import_loadusers(cli_context(), structure_a, csv_bytes(lines))
    assert result.created == 50
    assert Account.objects.filter(email__startswith="p", structure=structure_a).count() == 50
    inserts = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("INSERT")]
    assert not [sql for sql in inserts if "accounts_account" in sql or "people_user" in sql]
    # The file's own event (`loadusers.import`) is one INSERT; the lines' events are copied.
    assert len([sql for sql in inserts if "audit_auditevent" in sql]) == 1
    assert verify_chain().ok


def test_stored_tuple_is_db_value_of_every_column() -> None:
    """The new account's values in one pass (issue #19) are `db_value` of each column."""
    from datetime import date

    from caducee.accounts.fields import STORED
    from caducee.accounts.values import db_value
    from caducee.loadusers.validation_pass import stored_tuple

    marker = object()
    samples: list[dict[str, Any]] = [
        {},
        {spec.key: None for spec in STORED},
        {spec.key: marker for spec in STORED},
        *({spec.key: value for spec in STORED} for value in ("", False, 0, date(2027, 1, 1))),
    ]
    for values in samples:
        expected = tuple(db_value(spec, values.get(spec.key)) for spec in STORED)
        pairs = zip(stored_tuple(values), expected, strict=True)
        assert all(a is b or (a == b and type(a) is type(b)) for a, b in pairs)


def test_check_gives_what_the_pass_read_from_clean_account() -> None:
    """`check` (run in the pool, issue #19): a new account's values as the tuple to store,
    an existing account's as the cleaned dictionary; problems, type and links as
    `clean_account` gives them."""
    from caducee.accounts.validation import clean_account
    from caducee.loadusers.validation_pass import SHAPE, stored_tuple
    from caducee.loadusers.validation_pool import check

    samples = [
        line("PER", "p@ch-a.fr"),
        line("ORG", "o@ch-a.fr", connection_accounts="a@ch-a.fr;b@ch-a.fr"),
        line("MED", "m@ch-a.fr", postal_code="ABCDE"),
        {"email": "x@ch-a.fr", "type": "XYZ"},
    ]
    for raw in samples:
        cleaned = clean_account(raw)
        kind = str(cleaned.values.get("type", ""))
        links = cleaned.values.get("connection_accounts") or []
        new, old = check(raw, True, SHAPE), check(raw, False, SHAPE)
        for checked in (new, old):
            assert (checked.problems, checked.ok, checked.kind, checked.links) == (
                cleaned.problems,
                cleaned.ok,
                kind,
                links,
            )
        assert old.values == cleaned.values and old.stored is None
        assert new.values is None
        assert new.stored == (stored_tuple(cleaned.values) if cleaned.ok else None)
    assert check(samples[1], True, SHAPE).links == ["a@ch-a.fr", "b@ch-a.fr"]


def test_checked_crosses_a_pickle_whole() -> None:
    """The pool's results are pickled as their constructor's arguments (issue #19): every
    field comes back, for a new account's line and an existing one's, valid or not."""
    import pickle

    from caducee.loadusers.validation_pass import SHAPE
    from caducee.loadusers.validation_pool import Checked, check

    samples = [
        line("PER", "p@ch-a.fr"),
        line("ORG", "o@ch-a.fr", connection_accounts="a@ch-a.fr;b@ch-a.fr"),
        line("MED", "m@ch-a.fr", postal_code="ABCDE"),
    ]
    fields = ("problems", "ok", "kind", "links", "values", "stored")
    for raw in samples:
        for new in (True, False):
            checked = check(raw, new, SHAPE)
            sent = pickle.dumps([checked], protocol=pickle.HIGHEST_PROTOCOL)
            back = pickle.loads(sent)[0]  # noqa: S301 - our own bytes
            assert type(back) is Checked
            assert [getattr(back, f) for f in fields] == [getattr(checked, f) for f in fields]
    assert Checked.__reduce__ is not object.__reduce__


_CELLS = st.lists(
    st.one_of(
        st.none(),
        st.floats(allow_nan=False),
        st.sampled_from(["", " ", "\u00a0", "'", "'=1", "'+33", "a'b", "\x1f'=x", "x\x1f", "'a"]),
        st.text(alphabet="a '=\x1f\t", max_size=4),
    ),
    max_size=8,
)


@given(st.lists(_CELLS, max_size=6))
def test_lines_are_unguarded_and_mapped_as_cell_by_cell(rows: list[list[object]]) -> None:
    """The whole-line shortcuts (issue #19: one search for a guard, one `itemgetter`, one
    `join` for a blank line) give what the cell-by-cell code gave, whatever the cells."""
    from caducee.loadusers.cells import GUARD, unguard
    from caducee.loadusers.reading import Header, Table, _guarded
    from caducee.loadusers.validation_pass import _chunks, _filled

    numbered = [(n + 2, cells) for n, cells in enumerate(rows)]
    expected_rows = [
        (n, [c if type(c) is not str or c[:1] != GUARD else unguard(c) for c in cells])
        for n, cells in numbered
    ]
    assert list(_guarded(iter(numbered))) == expected_rows
    for columns in ({"email": 0, "type": 3, "city": 1}, {"email": 2}):
        table = Table(Header([], columns), iter(expected_rows), "csv")
        expected = []
        for n, cells in expected_rows:
            raw = {key: cells[i] if i < len(cells) else None for key, i in columns.items()}
            if any(_filled(v) for v in raw.values()):
                expected.append((n, raw))
        assert [pair for chunk in _chunks(table) for pair in chunk] == expected


def _analyzes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("ANALYZE")]


@pytest.mark.parametrize("without_statistics", [True, False])
def test_the_accounts_are_analyzed_after_the_first_batch_only_without_statistics(
    structure_a: Structure, monkeypatch: pytest.MonkeyPatch, without_statistics: bool
) -> None:
    """PostgreSQL without statistics for the accounts (a new installation): ANALYZE once,
    before the second batch, so that the next batches' `IN` queries use their indexes
    (issue #19); with statistics, or on SQLite, never. Same accounts and audit either way."""
    from caducee.loadusers import writing_pass

    monkeypatch.setattr(writing_pass, "CHUNK", 5)
    if connection.vendor == "postgresql":
        monkeypatch.setattr(writing_pass, "_without_statistics", lambda _t: without_statistics)
    lines = [line("PER", f"s{i}@ch-a.fr", mssante_particle=f"s.{i}") for i in range(12)]
    with CaptureQueriesContext(connection) as queries:
        result = import_loadusers(cli_context(), structure_a, csv_bytes(lines))
    assert result.created == 12
    assert Account.objects.filter(email__startswith="s", structure=structure_a).count() == 12
    analyzed = connection.vendor == "postgresql" and without_statistics
    assert _analyzes(queries) == (['ANALYZE "accounts_account"'] if analyzed else [])
    assert verify_chain().ok
    # One batch (a file of 5 new accounts or fewer): nothing to analyze for.
    few = [line("PER", f"t{i}@ch-a.fr") for i in range(5)]
    with CaptureQueriesContext(connection) as queries:
        assert import_loadusers(cli_context(), structure_a, csv_bytes(few)).created == 5
    assert _analyzes(queries) == []


def test_without_statistics_reads_postgresql_reltuples(db: None) -> None:
    """True for a table never analyzed or analyzed empty, False once analyzed with rows;
    always False on SQLite (no such planner problem there)."""
    from caducee.loadusers.writing_pass import _analyze, _without_statistics

    if connection.vendor != "postgresql":
        assert not _without_statistics("accounts_account")
        return
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE statistics_probe (x integer)")
        assert _without_statistics("statistics_probe")
        _analyze("statistics_probe")
        assert _without_statistics("statistics_probe")  # analyzed empty: still none
        cursor.execute("INSERT INTO statistics_probe SELECT generate_series(1, 100)")
        _analyze("statistics_probe")
        assert not _without_statistics("statistics_probe")
        cursor.execute("DROP TABLE statistics_probe")
