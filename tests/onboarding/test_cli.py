"""`caducee onboarding …`: the service centre's queue from the shell."""

from __future__ import annotations

import json

import pytest

from caducee.audit.actions import AuditAction
from caducee.audit.models import AuditEvent
from caducee.emails.models import OutgoingEmail
from caducee.onboarding.models import ConnectionRequest, RequestState
from caducee.structures.models import Structure
from tests.helpers import run_cli as run

pytestmark = pytest.mark.django_db

Capsys = pytest.CaptureFixture[str]


def test_list_and_show(capsys: Capsys, pharmacy_request: ConnectionRequest) -> None:
    code, out, err = run(capsys, "onboarding", "list")
    assert code == 0, err
    assert "Pharmacie du Centre" in out and "Nouvelle" in out
    assert f"{pharmacy_request.pk}\t" in out
    code, out, _ = run(capsys, "onboarding", "list", "--state", "acceptee")
    assert out.strip() == "Aucune demande de raccordement."
    code, out, _ = run(capsys, "onboarding", "list", "--state", "ouvertes", "--json")
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [pharmacy_request.pk]
    assert rows[0]["email"] == "contact@pharmacie-centre-albi.fr"
    code, out, _ = run(capsys, "onboarding", "show", str(pharmacy_request.pk))
    assert code == 0
    assert "Fonction du contact : Pharmacienne titulaire" in out
    code, out, _ = run(capsys, "onboarding", "show", str(pharmacy_request.pk), "--json")
    assert json.loads(out)["existing_structures"] == []


def test_a_bad_state_is_refused_by_the_parser(capsys: Capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        run(capsys, "onboarding", "list", "--state", "perdue")
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "caducee : erreur" in err and "perdue" in err


def test_take_create_and_answer(capsys: Capsys, pharmacy_request: ConnectionRequest) -> None:
    pk = str(pharmacy_request.pk)
    code, out, err = run(capsys, "onboarding", "take", pk)
    assert code == 0, err
    assert "prise en charge : En cours" in out
    code, out, err = run(
        capsys, "onboarding", "create-structure", pk, "--domain", "pharma-albi.mssante.fr"
    )
    assert code == 0, err
    assert Structure.objects.get(name="Pharmacie du Centre").domain == "pharma-albi.mssante.fr"
    code, out, err = run(capsys, "onboarding", "answer", pk, "--refuse", "--message", " ")
    assert code == 1 and "Écrivez le motif du refus" in err
    code, out, err = run(
        capsys, "onboarding", "answer", pk, "--accept", "--message", "Structure créée."
    )
    assert code == 0, err
    assert "acceptée : réponse envoyée à contact@pharmacie-centre-albi.fr" in out
    pharmacy_request.refresh_from_db()
    assert pharmacy_request.state == RequestState.ACCEPTED
    assert pharmacy_request.handled_by is None  # the CLI acts as the server
    assert OutgoingEmail.objects.filter(template="onboarding_answer").count() == 1
    assert AuditEvent.objects.get(action=AuditAction.ONBOARDING_ANSWER).channel == "cli"
    code, _, err = run(capsys, "onboarding", "answer", pk, "--refuse", "--message", "Non.")
    assert code == 1 and "déjà reçu une réponse" in err


def test_an_unknown_request(capsys: Capsys) -> None:
    code, _, err = run(capsys, "onboarding", "take", "424242")
    assert code == 1 and "Demande de raccordement introuvable" in err


def test_accept_and_refuse_are_exclusive(capsys: Capsys) -> None:
    with pytest.raises(SystemExit):
        run(capsys, "onboarding", "answer", "1", "--accept", "--refuse", "--message", "x")
    with pytest.raises(SystemExit):
        run(capsys, "onboarding", "answer", "1", "--message", "x")
