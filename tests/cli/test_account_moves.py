"""`caducee account move EMAIL --structure S [--preview] [--json]`."""

from __future__ import annotations

import json

import pytest

from caducee.accounts.models import Account, Delegation
from caducee.accounts.operations import add_delegate
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.directory.operations import assign_mssante_address, set_quota
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import run_cli as run

pytestmark = pytest.mark.django_db
Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def jeanne(structure_a: Structure) -> Account:
    account = factories.make_account(
        structure_a, "PER", email="jeanne@x.fr", first_name="Jeanne", last_name="Moulin"
    )
    assign_mssante_address(cli_context(), account, None)
    colleague = factories.make_account(structure_a, "MED", email="colleague@x.fr")
    add_delegate(cli_context(), account, colleague.email)
    return account


def test_preview_changes_nothing(capsys: Capsys, jeanne: Account, structure_b: Structure) -> None:
    code, out, err = run(
        capsys,
        "account",
        "move",
        "jeanne@x.fr",
        "--structure",
        "clinique-b.mssante.fr",
        "--preview",
    )
    assert code == 0, err
    assert "Rattacher jeanne@x.fr de Centre hospitalier A à Clinique B :" in out
    assert "Attention — Liens qui seront retirés (ils relieraient deux structures) :" in out
    assert "Rien n'a été changé (--preview)." in out
    assert Account.objects.get(pk=jeanne.pk).structure.name == "Centre hospitalier A"
    assert Delegation.objects.filter(account=jeanne).exists()
    assert not AuditEvent.objects.filter(action__startswith="account.move").exists()


def test_move_prints_the_new_address_and_the_detached_links(
    capsys: Capsys, jeanne: Account, structure_b: Structure
) -> None:
    code, out, err = run(capsys, "account", "move", "jeanne@x.fr", "--structure", "Clinique B")
    assert code == 0, err
    assert "Le compte jeanne@x.fr est rattaché à Clinique B (avant : Centre hospitalier A)." in out
    assert (
        "Adresse MSSanté : jeanne.moulin@ch-a.mssante.fr → jeanne.moulin@clinique-b.mssante.fr"
        in out
    )
    assert "Attention — Liens retirés (ils relieraient deux structures) :" in out
    assert "  - colleague@x.fr n'est plus délégué de jeanne@x.fr." in out
    assert not Delegation.objects.filter(account=jeanne).exists()
    assert Account.objects.get(pk=jeanne.pk).structure == structure_b
    event = AuditEvent.objects.get(action="account.move_out")
    assert event.channel == "cli" and event.actor_label.startswith("cli:")


def test_json_is_the_api_plan(capsys: Capsys, jeanne: Account, structure_b: Structure) -> None:
    code, out, _ = run(
        capsys, "account", "move", "jeanne@x.fr", "--structure", "Clinique B", "--json"
    )
    assert code == 0
    plan = json.loads(out)
    assert plan["to_structure"]["id"] == structure_b.pk
    assert plan["new_address"] == "jeanne.moulin@clinique-b.mssante.fr"
    assert [d["kind"] for d in plan["detached"]] == ["delegation"]


def test_refusals_are_one_french_line(
    capsys: Capsys, jeanne: Account, structure_b: Structure
) -> None:
    set_quota(cli_context(), structure_b, "PER_INT", 0)
    code, out, err = run(capsys, "account", "move", "jeanne@x.fr", "--structure", "Clinique B")
    assert code == 1 and out == ""
    assert err.startswith("Erreur : Quota « Personnel et personnel interne » atteint")
    assert err.count("Quota") == 1
    code, _, err = run(capsys, "account", "move", "jeanne@x.fr", "--structure", "Nulle part")
    assert (code, err) == (1, "Erreur : Structure « Nulle part » introuvable.\n")
    code, _, err = run(
        capsys, "account", "move", "jeanne@x.fr", "--structure", "Centre hospitalier A"
    )
    assert code == 1 and "déjà rattaché à Centre hospitalier A" in err
