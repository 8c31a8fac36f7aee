"""The webmail's « Paramètres » page: default mailbox, receipt notifications and
« Proposer un collègue », for the person themself (issue #15 point 8)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from caducee.accounts.models import Account, AccountState, ColleagueProposal, ConnectionLink
from caducee.audit.models import AuditEvent
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import client_for
from tests.mail.conftest import person, user_of

pytestmark = pytest.mark.django_db
URL = "/messagerie/parametres/"


def test_the_url_is_the_one_documented() -> None:
    assert reverse("mail:settings") == URL


def test_the_page_lists_her_mailboxes_and_saves_her_choices(
    martine: Account, secretariat: Account
) -> None:
    client = client_for(user_of(martine))
    page = client.get(URL).content.decode()
    assert "Paramètres de mon compte" in page
    assert martine.email in page and secretariat.email in page
    assert f'name="notify" value="{secretariat.pk}"' in page
    response = client.post(URL, {"default": str(secretariat.pk)})  # notification unticked
    assert response.status_code == 302 and response["Location"] == URL
    martine.refresh_from_db()
    assert martine.default_mailbox == secretariat
    assert not ConnectionLink.objects.get(mailbox=secretariat, account=martine).notify_on_receipt
    after = client.get(URL).content.decode()
    assert f"la boîte {secretariat.email} sera affichée par défaut" in after
    assert AuditEvent.objects.filter(
        actor_label=user_of(martine).email, action="account.default_mailbox"
    ).exists()


def test_a_deactivated_shared_mailbox_keeps_its_notification(
    martine: Account, secretariat: Account
) -> None:
    Account.objects.filter(pk=secretariat.pk).update(state=AccountState.DEACTIVATED)
    client = client_for(user_of(martine))
    assert secretariat.email not in client.get(URL).content.decode()
    client.post(URL, {"default": str(martine.pk)})
    assert ConnectionLink.objects.get(mailbox=secretariat, account=martine).notify_on_receipt


def test_another_mailbox_is_404(martine: Account, paul: Account) -> None:
    client = client_for(user_of(martine))
    assert client.post(URL, {"default": str(paul.pk)}).status_code == 404
    assert client.post(URL, {"default": "x"}).status_code == 404
    martine.refresh_from_db()
    assert martine.default_mailbox is None


def test_she_proposes_a_colleague_from_the_page(
    structure_a: Structure, martine: Account, paul: Account, secretariat: Account
) -> None:
    factories.make_admin(structure_a, "admin@ch-a.fr")
    client = client_for(user_of(martine))
    page = client.get(URL).content.decode()
    assert "Proposer un collègue" in page
    response = client.post(
        URL, {"form": "colleague", "mailbox": str(secretariat.pk), "email": paul.email}
    )
    assert response.status_code == 302
    proposal = ColleagueProposal.objects.get()
    assert proposal.colleague == paul and proposal.status == ColleagueProposal.Status.PENDING
    after = client.get(URL).content.decode()
    assert "un administrateur de la structure doit valider" in after
    assert "En attente de validation" in after
    # a refusal by the rules is a message on the page, not an error page
    response = client.post(
        URL, {"form": "colleague", "mailbox": str(secretariat.pk), "email": "x@nowhere.fr"}
    )
    assert response.status_code == 302
    assert "Aucun compte nominatif actif x@nowhere.fr" in client.get(URL).content.decode()


def test_without_an_org_mailbox_there_is_nothing_to_propose(
    structure_a: Structure, paul: Account, secretariat: Account
) -> None:
    client = client_for(user_of(paul))
    assert "Proposer un collègue" not in client.get(URL).content.decode()
    response = client.post(
        URL, {"form": "colleague", "mailbox": str(secretariat.pk), "email": "x@ch-a.fr"}
    )
    assert response.status_code == 404


def test_the_webmail_links_to_the_page(martine: Account) -> None:
    page = client_for(user_of(martine)).get("/messagerie/pro/inbox/").content.decode()
    assert f'href="{URL}"' in page


def test_a_person_without_mailbox_gets_the_no_mailbox_page(alice: User) -> None:
    page = client_for(alice).get(URL)
    assert page.status_code == 200
    assert "Paramètres de mon compte" not in page.content.decode()


def test_the_responsible_sees_the_mailbox_she_is_responsible_of(
    structure_a: Structure, secretariat: Account
) -> None:
    doctor = person(structure_a, "dr.responsable")
    Account.objects.filter(pk=secretariat.pk).update(resp_identifier=doctor.rpps)
    page = client_for(user_of(doctor)).get(URL).content.decode()
    assert f'<option value="{secretariat.pk}">' in page
