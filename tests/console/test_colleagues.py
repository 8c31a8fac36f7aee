"""« Propositions de collègues » in the console: the admin approves or refuses, and sets
whether the structure's ORG mailboxes take colleagues without validation."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from caducee.accounts.models import Account, ColleagueProposal, ConnectionLink
from caducee.accounts.operations import propose_colleague
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.console.conftest import logged_in
from tests.helpers import ctx_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposal(org_a: Account, med_a: Account, per_a: Account) -> ColleagueProposal:
    assert med_a.user is not None
    return propose_colleague(ctx_for(med_a.user), org_a, per_a.email)


def _page(structure: Structure) -> str:
    return reverse("console:colleague_proposals", args=[structure.pk])


def test_the_admin_approves_from_the_list(
    client: Client, alice: User, structure_a: Structure, proposal: ColleagueProposal
) -> None:
    logged_in(client, alice)
    page = client.get(_page(structure_a)).content.decode()
    assert "Propositions de collègues" in page and "jeanne.dupont@ch-a.fr" in page
    assert "secretaire@ch-a.fr" in page  # the proposer
    url = reverse("console:colleague_proposal_approve", args=[structure_a.pk, proposal.pk])
    response = client.post(url, follow=True)
    assert "jeanne.dupont@ch-a.fr est maintenant compte de connexion" in response.content.decode()
    assert ConnectionLink.objects.filter(
        mailbox=proposal.mailbox, account=proposal.colleague
    ).exists()
    assert "Aucune proposition en attente." in response.content.decode()
    assert "Validée par alice@ch-a.fr" in response.content.decode()
    again = client.post(url, follow=True).content.decode()
    assert "n&#x27;est plus en attente" in again or "n'est plus en attente" in again


def test_the_admin_refuses_with_a_reason(
    client: Client, alice: User, structure_a: Structure, proposal: ColleagueProposal
) -> None:
    logged_in(client, alice)
    url = reverse("console:colleague_proposal_refuse", args=[structure_a.pk, proposal.pk])
    page = client.post(url, {"reason": "Pas ce service"}, follow=True).content.decode()
    assert "Proposition refusée" in page and "motif : Pas ce service" in page
    proposal.refresh_from_db()
    assert proposal.status == ColleagueProposal.Status.REFUSED


def test_the_admin_sets_the_policy(client: Client, alice: User, structure_a: Structure) -> None:
    logged_in(client, alice)
    url = reverse("console:colleague_policy", args=[structure_a.pk])
    page = client.post(url, {"colleagues_without_validation": "on"}, follow=True)
    assert "ajoutés sans validation" in page.content.decode()
    structure_a.refresh_from_db()
    assert structure_a.colleagues_without_validation
    client.post(url, {})
    structure_a.refresh_from_db()
    assert not structure_a.colleagues_without_validation


def test_the_menu_links_to_the_page(client: Client, alice: User, structure_a: Structure) -> None:
    logged_in(client, alice)
    home = client.get(reverse("console:structure", args=[structure_a.pk])).content.decode()
    assert f'href="{_page(structure_a)}"' in home
