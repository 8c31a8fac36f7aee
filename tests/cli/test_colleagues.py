"""`caducee colleagues …`: the operator lists, approves and refuses proposed colleagues and
sets a structure's policy, as its admins do in « Propositions de collègues »."""

from __future__ import annotations

import json

import pytest

from caducee.accounts.models import ColleagueProposal, ConnectionLink
from caducee.accounts.operations import propose_colleague
from caducee.audit.models import AuditEvent
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import ctx_for
from tests.helpers import run_cli as run

pytestmark = pytest.mark.django_db
Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def proposal(structure_a: Structure) -> ColleagueProposal:
    secretary = factories.make_account(structure_a, "MED", "secretaire@ch-a.fr")
    org = factories.make_account(
        structure_a, "ORG", "secretariat@ch-a.fr", connection_accounts=secretary.email
    )
    colleague = factories.make_account(structure_a, "PER", "collegue@ch-a.fr")
    assert secretary.user is not None
    return propose_colleague(ctx_for(secretary.user), org, colleague.email)


def test_list_and_approve(capsys: Capsys, proposal: ColleagueProposal) -> None:
    structure = proposal.mailbox.structure
    code, out, err = run(capsys, "colleagues", "list", "--structure", structure.name)
    assert code == 0, err
    assert f"{proposal.pk}\tsecretariat@ch-a.fr\tcollegue@ch-a.fr\tsecretaire@ch-a.fr" in out
    assert "En attente de validation" in out
    code, out, err = run(
        capsys, "colleagues", "list", "--structure", structure.name, "--pending", "--json"
    )
    assert code == 0 and json.loads(out)[0]["status"] == "pending"
    code, out, err = run(capsys, "colleagues", "approve", str(proposal.pk))
    assert code == 0, err
    assert "collegue@ch-a.fr est maintenant compte de connexion de secretariat@ch-a.fr" in out
    assert ConnectionLink.objects.filter(
        mailbox=proposal.mailbox, account=proposal.colleague
    ).exists()
    event = AuditEvent.objects.get(action="account.colleague_approve")
    assert event.channel == "cli"
    code, _, err = run(capsys, "colleagues", "approve", str(proposal.pk))
    assert code == 1 and "n'est plus en attente" in err


def test_refuse_with_a_reason(capsys: Capsys, proposal: ColleagueProposal) -> None:
    code, out, err = run(capsys, "colleagues", "refuse", str(proposal.pk), "--reason", "Non")
    assert code == 0, err
    assert "Proposition refusée : collegue@ch-a.fr n'est pas ajouté" in out
    proposal.refresh_from_db()
    assert proposal.status == ColleagueProposal.Status.REFUSED and proposal.reason == "Non"
    code, _, err = run(capsys, "colleagues", "refuse", "999999")
    assert code == 1 and "Aucune proposition n° 999999" in err


def test_policy(capsys: Capsys, structure_a: Structure) -> None:
    code, out, _ = run(capsys, "colleagues", "policy", "--structure", structure_a.name)
    assert code == 0 and "sans validation : non" in out
    code, out, _ = run(capsys, "colleagues", "policy", "--structure", structure_a.name, "on")
    assert code == 0 and "sans validation : oui" in out
    structure_a.refresh_from_db()
    assert structure_a.colleagues_without_validation
    assert AuditEvent.objects.get(action="structure.colleague_policy").detail == {"on": True}
    code, _, err = run(capsys, "colleagues", "policy", "--structure", structure_a.name, "oui")
    assert code == 1 and "indiquez on ou off" in err


def test_nothing_to_list(capsys: Capsys, structure_a: Structure) -> None:
    code, out, _ = run(capsys, "colleagues", "list", "--structure", structure_a.name)
    assert code == 0 and "Aucune proposition." in out
