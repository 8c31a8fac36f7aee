"""`caducee registration list|validate|reject|correction|centre` (issue #16 contract)."""

from __future__ import annotations

import json

import pytest

from caducee.accounts.models import Account, AccountState
from caducee.audit.models import AuditEvent
from caducee.registration.models import RegistrationRequest, RequestState
from caducee.registration.operations import submit_registration
from tests import factories
from tests.helpers import run_cli as run
from tests.registration.conftest import OCCITANIE, SHARED, org_form
from tests.registration.test_operations import VISITOR

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("regions")]


def _request(pharmacist: Account, **overrides: object) -> RegistrationRequest:
    return submit_registration(
        VISITOR, "ORG", OCCITANIE, org_form(**overrides), requester=pharmacist.user
    )


def test_list_then_validate_on_the_shared_domain(
    capsys: pytest.CaptureFixture[str], pharmacist: Account, shared_domain: str
) -> None:
    request = _request(pharmacist)
    code, out, _ = run(capsys, "registration", "list", "--state", "a_valider")
    assert code == 0 and out.startswith(f"{request.pk}\tORG\ta_valider\t")
    assert "pharmacie-du-centre-albi@gmail.com" in out
    code, out, _ = run(capsys, "registration", "list", "--json")
    assert json.loads(out)[0]["suggested_particle"] == "pharmacie.du.centre.81000.albi"
    code, out, err = run(
        capsys, "registration", "validate", str(request.pk), "--new-structure", "--domain", SHARED
    )
    assert code == 0, err
    assert f"pharmacie.du.centre.81000.albi@{SHARED}" in out
    assert Account.objects.get(pk=request.account.pk).state == AccountState.VALID
    event = AuditEvent.objects.get(action="registration.validate")
    assert event.actor_label.startswith("cli:")
    code, out, _ = run(capsys, "registration", "list", "--state", "a_valider")
    assert out.strip() == "Aucune demande."


def test_validate_into_an_existing_structure(
    capsys: pytest.CaptureFixture[str], pharmacist: Account, shared_domain: str
) -> None:
    target = factories.make_structure("Officines du Tarn", domain=SHARED)
    request = _request(pharmacist)
    code, _, err = run(
        capsys,
        "registration",
        "validate",
        str(request.pk),
        "--structure",
        "Officines du Tarn",
        "--particle",
        "pharmacie.centre",
    )
    assert code == 0, err
    account = Account.objects.get(pk=request.account.pk)
    assert account.structure == target and account.mssante_particle == "pharmacie.centre"


def test_reject_and_refusals_in_french(
    capsys: pytest.CaptureFixture[str], pharmacist: Account
) -> None:
    request = _request(pharmacist)
    code, _, err = run(capsys, "registration", "validate", str(request.pk))
    assert code == 1 and "n'a pas de domaine MSSanté" in err and "Traceback" not in err
    code, out, _ = run(capsys, "registration", "reject", str(request.pk), "--reason", "Doublon.")
    assert code == 0 and "rejetée" in out
    request.refresh_from_db()
    assert request.state == RequestState.REJECTED and request.reason == "Doublon."
    code, _, err = run(capsys, "registration", "reject", str(request.pk), "--reason", "x")
    assert code == 1 and "rejetée" in err
    code, _, err = run(capsys, "registration", "list", "--state", "inconnu")
    assert code == 1 and "inconnu" in err


def test_correction_and_the_centre_members(
    capsys: pytest.CaptureFixture[str], pharmacist: Account
) -> None:
    request = _request(pharmacist)
    code, out, _ = run(
        capsys, "registration", "correction", str(request.pk), "--message", "Le FINESS ?"
    )
    assert code == 0 and pharmacist.email in out
    code, out, _ = run(capsys, "registration", "centre", "list")
    assert "Aucun membre" in out
    code, out, _ = run(capsys, "registration", "centre", "add", pharmacist.email)
    assert code == 0 and "membre du centre de services" in out
    code, out, _ = run(capsys, "registration", "centre", "list")
    assert out.strip() == pharmacist.email
    code, _, _ = run(capsys, "registration", "centre", "remove", pharmacist.email)
    assert code == 0
    code, _, err = run(capsys, "registration", "centre", "add", "personne@nulle.part")
    assert code == 1 and "Aucune personne" in err
