"""The directory functions the loaduser import calls, tested on their own."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caducee.accounts.models import Account
from caducee.core.context import Context, cli_context
from caducee.core.errors import Invalid, NotFound
from caducee.directory.entries import EntryRow
from caducee.directory.loading import apply_particles, check_file_quotas, refresh_loaded
from caducee.directory.models import DirectoryEntry
from caducee.directory.operations import assign_mssante_address, set_quota
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories

pytestmark = pytest.mark.django_db


def test_check_file_quotas(structure_a: Structure, structure_b: Structure) -> None:
    set_quota(cli_context(), structure_b, "ORG", 1)
    scope = {structure_a.pk: structure_a}
    check_file_quotas(scope, {structure_a.pk: Counter({"PER": 50})})
    check_file_quotas(scope, {structure_b.pk: Counter({"ORG": 1, "MED": 9})})
    with pytest.raises(Invalid, match="Quota « Organisationnel » atteint pour Clinique B"):
        check_file_quotas(scope, {structure_b.pk: Counter({"ORG": 2})})


def test_apply_particles_names_the_line(structure_a: Structure) -> None:
    one = factories.make_account(structure_a, "PER")
    two = factories.make_account(structure_a, "PER")
    assign_mssante_address(cli_context(), two, "pris")
    apply_particles(cli_context(), [(2, one, "Libre.Particule")])
    one.refresh_from_db()
    assert one.mssante_particle == "libre.particule"
    with pytest.raises(Invalid, match=r"^Ligne 7 : .*déjà utilisée"):
        apply_particles(cli_context(), [(7, one, "pris")])
    apply_particles(cli_context(), [(3, one, "")])  # emptied column: no correspondence
    one.refresh_from_db()
    assert one.mssante_particle == ""


def test_refresh_loaded_after_bulk_insert(structure_a: Structure) -> None:
    account = factories.make_account(structure_a, "PER", last_name="EN BLOC")
    Account.objects.filter(pk=account.pk).update(visible=True)
    assert not DirectoryEntry.objects.filter(account_id=account.pk).exists()
    refresh_loaded([account.pk])
    assert DirectoryEntry.objects.filter(account_id=account.pk).exists()


def test_check_mssante_addresses_writes_nothing_and_takes_unsaved_accounts(
    structure_a: Structure,
) -> None:
    from caducee.directory.operations import check_mssante_addresses

    new = Account(email="new@ch-a.fr", type="ORG", structure=structure_a, is_test=False)
    checked = check_mssante_addresses(cli_context(), [(4, new, "Accueil"), (5, new, "")])
    assert checked == [
        (4, new, "accueil", "accueil@ch-a.mssante.fr"),
        (5, new, "", ""),
    ]
    assert not Account.objects.filter(email="new@ch-a.fr").exists()
    med = Account(email="m@ch-a.fr", type="MED", structure=structure_a, is_test=False)
    with pytest.raises(Invalid, match=r"^Ligne 6 : .*BAL MED"):
        check_mssante_addresses(cli_context(), [(6, med, "medecin")])


def _one_query_per_gap(rows: list[EntryRow]) -> list[int | None]:
    """The rowids `_place_batch` gave before it looked its neighbours up in bulk: two ORM
    queries per run of new rows between the same two existing rows."""
    from caducee.directory.entries import GAP, MAX_ROWID

    def neighbour(key: str, before: bool) -> tuple[int, str] | None:
        rows = DirectoryEntry.objects.exclude(search_rowid=None)
        if before:
            rows = rows.filter(sort_key__lt=key).order_by("-sort_key")
        else:
            rows = rows.filter(sort_key__gt=key).order_by("sort_key")
        found = rows.values_list("search_rowid", "sort_key").first()
        return (int(found[0] or 0), str(found[1])) if found else None

    keys = sorted(row.sort_key for row in rows)
    rowids: list[int | None] = []
    i = 0
    while i < len(keys):
        low_row, high_row = neighbour(keys[i], True), neighbour(keys[i], False)
        j = i + 1
        while j < len(keys) and (high_row is None or keys[j] < high_row[1]):
            j += 1
        low = low_row[0] if low_row else 0
        high = high_row[0] if high_row else min(low + (j - i + 1) * GAP, MAX_ROWID)
        step = min(GAP, (high - low) // (j - i + 1))
        rowids += [low + (k + 1) * step for k in range(j - i)]
        i = j
    return rowids


@pytest.mark.skipif(connection.vendor != "sqlite", reason="ordered rowids are SQLite's")
def test_new_rows_get_the_rowids_of_a_lookup_per_gap(
    structure_a: Structure, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`_place_batch` looks every neighbour up in a few queries (issue #19): the same rowids
    as two queries per gap, with new rows before, between, among and after existing ones,
    over several query chunks."""
    from caducee.directory import entries

    monkeypatch.setattr(entries, "NEIGHBOUR_CHUNK", 3)
    for name in ("BBB", "DDD", "DDF", "FFF"):
        account = factories.make_account(structure_a, "PER", last_name=name)
        Account.objects.filter(pk=account.pk).update(visible=True)
        refresh_loaded([account.pk])
    existing = DirectoryEntry.objects.count()
    names = ["AAA", "AAB", "CCC", "CCD", "DDE", "EEE", "EEF", "EEG", "GGG", "ZZZ"]
    rows = [
        entries.EntryRow(
            10_000 + n, structure_a.pk, "PER", f"{name.lower()} jeanne {10_000 + n:012d}",
            "", "", "", "", "", {},
        )
        for n, name in enumerate(names)
    ]  # fmt: skip
    expected = _one_query_per_gap(rows)
    assert entries._place_batch(rows)
    assert [row.search_rowid for row in rows] == expected
    assert len(set(expected)) == len(names) and existing == 4


def test_check_mssante_addresses_checks_each_structure_once(
    structure_a: Structure, structure_b: Structure, alice: User
) -> None:
    """An admin's import checks its rights once per structure, not once per line."""
    from caducee.directory.operations import check_mssante_addresses

    def rows(count: int, structure: Structure) -> list[tuple[int, Account, str]]:
        return [
            (n, Account(email=f"n{n}@ch-a.fr", type="PER", structure=structure), f"p.{n}")
            for n in range(count)
        ]

    counts = []
    for size in (2, 20):
        with CaptureQueriesContext(connection) as queries:
            checked = check_mssante_addresses(Context(user=alice), rows(size, structure_a))
        assert len(checked) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with pytest.raises(NotFound):
        check_mssante_addresses(Context(user=alice), [*rows(2, structure_a), *rows(1, structure_b)])


def test_entry_row_shows_each_field_as_display_value_does(structure_a: Structure) -> None:
    """`entry_row` (issue #19: no model instance, text shown as it is) gives `build_entry`'s
    values, each field as `display_value` shows it: yes/no, dates, lists, referentials."""
    from datetime import date

    from caducee.accounts.fields import Kind
    from caducee.directory.entries import (
        DIRECTORY_FIELDS,
        ENTRY_COLUMNS,
        EntryRow,
        build_entry,
        display_value,
        entry_row,
    )

    assert tuple(EntryRow.__dataclass_fields__) == ENTRY_COLUMNS
    samples = [
        factories.make_account(structure_a, kind, visible=True) for kind in ("PER", "MED", "ORG")
    ]
    odd = factories.make_account(structure_a, "PER", visible=True)
    for spec in DIRECTORY_FIELDS:  # yes/no and dates set, as text too
        if spec.kind is Kind.YES_NO:
            setattr(odd, spec.key, "NON")  # shown as a true value: OUI
        elif spec.kind is Kind.DATE:
            setattr(odd, spec.key, date(2027, 1, 2))
    for account in [*samples, odd]:
        row = entry_row(account)
        model = build_entry(account)
        assert row.values()[:-1] == tuple(getattr(model, name) for name in ENTRY_COLUMNS[:-1])
        assert row.data["fields"] == [
            [spec.key, spec.title, display_value(spec, getattr(account, spec.key))]
            for spec in DIRECTORY_FIELDS
        ]
