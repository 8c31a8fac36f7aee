"""« Propositions de collègues » through the API: admins list, approve, refuse and set the
structure's policy; a person proposes through the messaging API (`/mail/…`)."""

from __future__ import annotations

import pytest
from django.test import Client

from caducee.accounts.models import Account, ColleagueProposal, ConnectionLink
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import bearer_client

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def secretary(structure_a: Structure) -> Account:
    return factories.make_account(structure_a, "MED", "secretaire@ch-a.fr")


@pytest.fixture
def org(structure_a: Structure, secretary: Account) -> Account:
    return factories.make_account(
        structure_a, "ORG", "secretariat@ch-a.fr", connection_accounts=secretary.email
    )


@pytest.fixture
def colleague(structure_a: Structure) -> Account:
    return factories.make_account(structure_a, "PER", "collegue@ch-a.fr")


def person_client(account: Account) -> Client:
    assert account.user is not None
    return bearer_client(account.user)


def _propose(secretary: Account, org: Account, colleague: Account) -> dict[str, object]:
    response = person_client(secretary).post(
        "/api/v1/mail/colleague-proposals",
        {"mailbox": org.email.upper(), "email": colleague.email},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body: dict[str, object] = response.json()
    return body


def test_a_person_proposes_and_the_admin_approves(
    alice: User, org: Account, secretary: Account, colleague: Account
) -> None:
    proposal = _propose(secretary, org, colleague)
    assert proposal["status"] == "pending" and proposal["proposed_by"] == secretary.email
    mine = person_client(secretary).get("/api/v1/mail/colleague-proposals").json()
    assert [p["id"] for p in mine] == [proposal["id"]]
    admin = bearer_client(alice)
    base = f"/api/v1/structures/{org.structure_id}/colleague-proposals"
    listed = admin.get(f"{base}?pending=true").json()
    assert [p["colleague"] for p in listed] == [colleague.email]
    response = admin.post(f"{base}/{proposal['id']}/approve")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert response.json()["decided_by"] == alice.email
    assert ConnectionLink.objects.filter(mailbox=org, account=colleague).exists()
    again = admin.post(f"{base}/{proposal['id']}/approve")
    assert again.status_code == 422


def test_the_admin_refuses_with_a_reason(
    alice: User, org: Account, secretary: Account, colleague: Account
) -> None:
    proposal = _propose(secretary, org, colleague)
    url = f"/api/v1/structures/{org.structure_id}/colleague-proposals/{proposal['id']}/refuse"
    response = bearer_client(alice).post(url, {"reason": "Autre service"}, content_type=JSON)
    assert response.status_code == 200
    assert response.json()["status"] == "refused"
    assert response.json()["reason"] == "Autre service"


def test_another_structure_sees_nothing(
    alice: User, bob: User, org: Account, secretary: Account, colleague: Account
) -> None:
    proposal = _propose(secretary, org, colleague)
    admin_b = bearer_client(bob)
    base = f"/api/v1/structures/{org.structure_id}"
    assert admin_b.get(f"{base}/colleague-proposals").status_code == 404
    assert admin_b.post(f"{base}/colleague-proposals/{proposal['id']}/approve").status_code == 404
    assert admin_b.get(f"{base}/colleague-policy").status_code == 404
    policy = {"colleagues_without_validation": True}
    assert admin_b.put(f"{base}/colleague-policy", policy, content_type=JSON).status_code == 404
    # bob's own structure cannot reach A's proposal through its id either
    own = f"/api/v1/structures/{bob.admin_roles.get().structure_id}/colleague-proposals"
    refused = admin_b.post(f"{own}/{proposal['id']}/refuse", {}, content_type=JSON)
    assert refused.status_code == 404
    assert ColleagueProposal.objects.get().status == ColleagueProposal.Status.PENDING


def test_the_policy_adds_colleagues_at_once(
    alice: User, org: Account, secretary: Account, colleague: Account
) -> None:
    url = f"/api/v1/structures/{org.structure_id}/colleague-policy"
    admin = bearer_client(alice)
    assert admin.get(url).json() == {"colleagues_without_validation": False}
    response = admin.put(url, {"colleagues_without_validation": True}, content_type=JSON)
    assert response.json() == {"colleagues_without_validation": True}
    assert _propose(secretary, org, colleague)["status"] == "added"
    assert ConnectionLink.objects.filter(mailbox=org, account=colleague).exists()


def test_a_person_cannot_propose_on_a_mailbox_she_does_not_use(
    org: Account, colleague: Account
) -> None:
    response = person_client(colleague).post(
        "/api/v1/mail/colleague-proposals",
        {"mailbox": org.email, "email": colleague.email},
        content_type=JSON,
    )
    assert response.status_code == 404
    assert not ColleagueProposal.objects.exists()


def test_an_unknown_colleague_is_a_422_in_french(secretary: Account, org: Account) -> None:
    response = person_client(secretary).post(
        "/api/v1/mail/colleague-proposals",
        {"mailbox": org.email, "email": "inconnu@ch-a.fr"},
        content_type=JSON,
    )
    assert response.status_code == 422
    assert response.json()["problems"][0]["code"] == "unknown_account"
