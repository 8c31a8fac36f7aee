"""The loaduser import goes through the directory's quota check and address operation."""

from __future__ import annotations

from typing import Any

import pytest

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.core.errors import Invalid
from caducee.directory.addresses import mssante_address
from caducee.directory.models import DirectoryEntry
from caducee.directory.operations import assign_mssante_address, set_quota
from caducee.loadusers.importing import import_loadusers
from caducee.structures.models import Structure
from tests import factories
from tests.loadusers.builders import csv_bytes, line

pytestmark = pytest.mark.django_db


def run(structure: Structure, data: bytes, **options: Any) -> Any:
    return import_loadusers(cli_context(), structure, data, file_name="test.csv", **options)


def test_quota_refuses_a_file_creating_too_many_accounts(structure_a: Structure) -> None:
    set_quota(cli_context(), structure_a, "PER_INT", 2)
    factories.make_account(structure_a, "PER")
    lines = [line("PER", "p1@ch-a.fr"), line("INT", "i1@ch-a.fr"), line("MED", "m1@ch-a.fr")]
    for dry_run in (True, False):
        with pytest.raises(Invalid, match="Quota « Personnel et personnel interne » atteint"):
            run(structure_a, csv_bytes(lines), dry_run=dry_run)
    assert not Account.objects.filter(email__in=["p1@ch-a.fr", "m1@ch-a.fr"]).exists()
    run(structure_a, csv_bytes(lines[1:]))  # one more fits
    assert Account.objects.filter(email="i1@ch-a.fr").exists()


def test_updates_do_not_count_against_the_quota(structure_a: Structure) -> None:
    existing = factories.make_account(structure_a, "PER", email="p@ch-a.fr")
    set_quota(cli_context(), structure_a, "PER_INT", 1)
    result = run(structure_a, csv_bytes([line("PER", existing.email, rpps=existing.rpps)]))
    assert result.rejected == 0


def test_particle_column_goes_through_the_address_operation(structure_a: Structure) -> None:
    lines = [
        line("PER", "p@ch-a.fr", mssante_particle="Jeanne.Dupont"),
        line("MED", "m@ch-a.fr"),
    ]
    result = run(structure_a, csv_bytes(lines), visible=True)
    assert result.created == 2
    account = Account.objects.select_related("structure").get(email="p@ch-a.fr")
    assert mssante_address(account) == "jeanne.dupont@ch-a.mssante.fr"
    assert AuditEvent.objects.filter(
        action="directory.address_assign", target_id=str(account.pk)
    ).exists()
    entry = DirectoryEntry.objects.get(account_id=account.pk)  # listed: imported visible
    assert entry.mssante_address == "jeanne.dupont@ch-a.mssante.fr"


def test_new_accounts_are_inserted_with_their_address_and_its_event(
    structure_a: Structure,
) -> None:
    lines = [
        line("PER", "p@ch-a.fr", mssante_particle="jeanne.dupont"),
        line("INT", "i@ch-a.fr"),
        line("ORG", "o@ch-a.fr", mssante_particle="accueil", connection_accounts="p@ch-a.fr"),
    ]
    assert run(structure_a, csv_bytes(lines)).created == 3
    per, org = (Account.objects.get(email=e) for e in ("p@ch-a.fr", "o@ch-a.fr"))
    events = list(
        AuditEvent.objects.filter(
            action="directory.address_assign", detail__generated=False
        ).order_by("seq")
    )
    assert [(e.target_id, e.target_label, e.detail) for e in events] == [
        (
            str(per.pk),
            "p@ch-a.fr",
            {"before": None, "after": "jeanne.dupont@ch-a.mssante.fr", "generated": False},
        ),
        (
            str(org.pk),
            "o@ch-a.fr",
            {"before": None, "after": "accueil@ch-a.mssante.fr", "generated": False},
        ),
    ]
    assert all(e.structure_id == structure_a.pk for e in events)
    created = AuditEvent.objects.filter(action="account.create").order_by("seq")
    assert max(e.seq for e in created) < events[0].seq  # created first, then addressed
    # The INT line's empty « MSSanté adresse » is generated (its own, later event).
    assert Account.objects.get(email="i@ch-a.fr").mssante_particle != ""


def test_same_address_twice_in_a_file_refuses_the_import(structure_a: Structure) -> None:
    lines = [
        line("PER", "p1@ch-a.fr", mssante_particle="accueil"),
        line("ORG", "o@ch-a.fr", mssante_particle="Accueil", connection_accounts="p1@ch-a.fr"),
    ]
    with pytest.raises(Invalid, match=r"Ligne 3 : l'adresse accueil@ch-a\.mssante\.fr est déjà "):
        run(structure_a, csv_bytes(lines))
    assert not Account.objects.filter(email__in=["p1@ch-a.fr", "o@ch-a.fr"]).exists()


def test_a_test_particle_on_a_new_account_refuses_the_import(structure_a: Structure) -> None:
    lines = [line("PER", "p@ch-a.fr", mssante_particle="test.jeanne")]
    with pytest.raises(Invalid, match=r"Ligne 2 : .*réservée aux comptes de test"):
        run(structure_a, csv_bytes(lines))
    assert not Account.objects.filter(email="p@ch-a.fr").exists()


def test_particle_already_used_refuses_the_import(structure_a: Structure) -> None:
    other = factories.make_account(structure_a, "PER")
    assign_mssante_address(cli_context(), other, "jeanne.dupont")
    lines = [line("PER", "p@ch-a.fr", mssante_particle="jeanne.dupont")]
    with pytest.raises(Invalid, match=r"Ligne 2 .*déjà utilisée"):
        run(structure_a, csv_bytes(lines))
    assert not Account.objects.filter(email="p@ch-a.fr").exists()


def test_particle_change_on_update(structure_a: Structure) -> None:
    account = factories.make_account(structure_a, "PER", email="p@ch-a.fr")
    data = line("PER", account.email, rpps=account.rpps, mssante_particle="nouvelle.adresse")
    run(structure_a, csv_bytes([data]))
    account.refresh_from_db()
    assert account.mssante_particle == "nouvelle.adresse"
    assert AuditEvent.objects.filter(
        action="directory.address_assign", target_id=str(account.pk)
    ).exists()


def _entries(ids: list[int]) -> list[dict[str, Any]]:
    rows = DirectoryEntry.objects.filter(account_id__in=ids).order_by("account_id")
    return [dict(row) for row in rows.values()]


@pytest.mark.parametrize("visible", [True, False])
def test_the_import_writes_the_search_rows_of_the_normal_refresh(
    structure_a: Structure, structure_b: Structure, visible: bool
) -> None:
    """The rows the import writes from its own values (`add_created`, no read-back) are
    those `refresh_accounts` builds from the accounts read back, rowids included."""
    from caducee.directory.entries import refresh_accounts

    factories.make_account(structure_a, "PER", last_name="DÉJÀ LÀ")  # a row to place around
    lines = [
        line("PER", "p1@ch-a.fr", last_name="ÉLODIE-MARTIN", first_name="Zoé",
             mssante_particle="Zoe.Elodie", city="SAINT-ÉTIENNE", postal_code="42000",
             department="42", region="84", specialty="SM54"),
        line("PER", "p2@ch-a.fr", first_name="Anaïs", mssante_particle=""),  # generated
        line("INT", "i1@ch-a.fr", mssante_particle=""),
        line("MED", "m1@ch-a.fr", adeli="", liberal="OUI"),
        line("APP", "a1@ch-a.fr", description="Comptes rendus de biologie", mssante_particle=""),
        line("ORG", "o1@ch-a.fr", connection_accounts="p1@ch-a.fr;m1@ch-a.fr",
             description="Accueil des urgences", mssante_particle="accueil.urgences"),
        line("ORG", "o2@ch-a.fr", connection_accounts="i1@ch-a.fr", description="Secrétariat"),
        line("PER", "b1@clinique-b.fr", structure="Clinique B", last_name="BERNARD"),
    ]  # fmt: skip
    result = run(structure_a, csv_bytes(lines), visible=visible)
    assert result.created == len(lines) and result.rejected == 0, result.problems
    emails = [d["email"] for d in lines]
    ids = list(Account.objects.filter(email__in=emails).values_list("pk", flat=True))
    written = _entries(ids)
    listed = {row["email"] for row in written}
    shared = {"a1@ch-a.fr", "o1@ch-a.fr", "o2@ch-a.fr"}
    assert listed == ({d["email"] for d in lines} if visible else shared)
    assert any(row["mssante_address"] == "accueil.urgences@ch-a.mssante.fr" for row in written)
    DirectoryEntry.objects.filter(account_id__in=ids).delete()
    refresh_accounts(ids)  # the normal path: the accounts read back through the ORM
    assert _entries(ids) == written
