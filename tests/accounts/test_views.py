"""« Mon adresse mail »: a person asks for, and cancels, the change of their own login."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from caducee.accounts.models import Account, EmailChangeRequest
from caducee.audit.models import AuditEvent
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.conftest import PASSWORD
from tests.smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db

NEW = "jeanne.perso@example.org"


@pytest.fixture
def jeanne(structure_a: Structure) -> Account:
    account = factories.make_account(
        structure_a, "PER", "jeanne@ch-a.fr", mssante_particle="jeanne.dupont"
    )
    assert account.user is not None
    account.user.password = factories.password_hash(PASSWORD)
    account.user.save()
    return account


def test_the_security_page_leads_to_my_email(client: Client, jeanne: Account) -> None:
    assert jeanne.user is not None
    client.force_login(jeanne.user)
    page = client.get(reverse("identity:security")).content.decode()
    assert reverse("accounts:my_email") in page
    mine = client.get(reverse("accounts:my_email")).content.decode()
    assert "jeanne@ch-a.fr" in mine and "jeanne.dupont@ch-a.mssante.fr" in mine
    assert "Demander le changement" in mine


def test_a_person_requests_then_cancels_from_the_page(
    client: Client,
    jeanne: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert jeanne.user is not None
    client.force_login(jeanne.user)
    url = reverse("accounts:my_email")
    wrong = client.post(url, {"new_email": NEW, "password": "mauvais"}).content.decode()
    assert "Mot de passe incorrect" in wrong and not EmailChangeRequest.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"new_email": NEW, "password": PASSWORD})
    assert response["Location"] == url
    smtp_sink.wait_for(NEW)
    smtp_sink.wait_for("jeanne@ch-a.fr")
    page = client.get(url).content.decode()
    assert 'id="pending-change"' in page and NEW in page and "par vous-même" in page
    response = client.post(reverse("accounts:my_email_cancel"))
    assert response["Location"] == url
    change = EmailChangeRequest.objects.get()
    assert change.status == EmailChangeRequest.Status.CANCELLED
    assert AuditEvent.objects.get(action="account.email_change_cancel").actor == jeanne.user
    # Nothing left to cancel.
    assert client.post(reverse("accounts:my_email_cancel")).status_code == 404


def test_an_address_taken_elsewhere_is_refused_without_naming_it(
    client: Client, jeanne: Account, structure_b: Structure
) -> None:
    factories.make_account(structure_b, "PER", "pris@clinique-b.fr")
    assert jeanne.user is not None
    client.force_login(jeanne.user)
    page = client.post(
        reverse("accounts:my_email"), {"new_email": "pris@clinique-b.fr", "password": PASSWORD}
    ).content.decode()
    assert "ne peut pas être utilisée pour ce compte" in page and "Clinique B" not in page


def test_a_person_without_mailbox_is_told_whom_to_ask(client: Client, charlie: User) -> None:
    client.force_login(charlie)
    page = client.get(reverse("accounts:my_email")).content.decode()
    assert 'id="no-mailbox"' in page and "opérateur de la plateforme" in page
    response = client.post(reverse("accounts:my_email"), {"new_email": NEW, "password": PASSWORD})
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_login(client: Client) -> None:
    response = client.get(reverse("accounts:my_email"))
    assert response.status_code == 302 and "connexion" in response["Location"]
