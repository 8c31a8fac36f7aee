"""Security review C1 through the console: an admin of A cannot take over a login elsewhere.

The review's probe: create a MED mailbox with the victim's login, change its email to an
address the attacker controls, resend the finalisation link. Each victim kind.
"""

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
from tests.factories import VICTIM_KINDS
from tests.smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db

EVIL = "attaquant@evil.test"


def _create_url(structure: Structure, kind: str) -> str:
    return reverse("console:account_create", args=[structure.pk, kind])


def _post_data(kind: str, email: str) -> dict[str, str]:
    data = factories.account_data(kind, email)
    data.pop("type")
    return {k: str(v) for k, v in data.items()}


@pytest.mark.parametrize("kind", VICTIM_KINDS)
def test_the_review_probe_fails_at_its_first_step(
    client: Client,
    alice: User,
    structure_a: Structure,
    structure_b: Structure,
    smtp_sink: SmtpSink,
    kind: str,
) -> None:
    victim = factories.make_victim(kind, structure_b)
    client.force_login(alice)
    response = client.post(_create_url(structure_a, "MED"), _post_data("MED", victim.email))
    page = response.content.decode()
    assert response.status_code == 200  # the form again, with the error
    assert "ne peut pas être utilisée pour ce compte" in page
    assert "Clinique B" not in page and "adresse de connexion" not in page
    assert not Account.objects.filter(structure=structure_a, email=victim.email).exists()
    assert not smtp_sink.to(victim.email)
    victim.refresh_from_db()
    assert victim.is_active and victim.email.endswith(".test")


@pytest.mark.parametrize("kind", VICTIM_KINDS)
def test_an_email_change_of_a_person_with_rights_elsewhere_is_refused(
    client: Client,
    alice: User,
    structure_a: Structure,
    structure_b: Structure,
    kind: str,
) -> None:
    account = factories.make_account(structure_a, "MED", "cible@ch-a.fr")
    assert account.user is not None
    factories.give_rights_elsewhere(kind, account.user, structure_b)
    client.force_login(alice)
    url = reverse("console:email_change_request", args=[structure_a.pk, account.pk])
    page = client.post(url, {"new_email": EVIL}, follow=True).content.decode()
    assert "ne peut pas être changée depuis votre console" in page
    assert "Clinique B" not in page
    assert not EmailChangeRequest.objects.exists()
    account.user.refresh_from_db()
    assert account.user.email == "cible@ch-a.fr"


@pytest.mark.parametrize("kind", VICTIM_KINDS)
def test_a_type_change_keeps_a_login_with_rights_elsewhere_active(
    client: Client,
    alice: User,
    structure_a: Structure,
    structure_b: Structure,
    kind: str,
) -> None:
    account = factories.make_account(structure_a, "MED", "cible@ch-a.fr")
    person = account.user
    assert person is not None
    factories.give_rights_elsewhere(kind, person, structure_b)
    helper = factories.make_account(structure_a, "MED", "aide@ch-a.fr")
    client.force_login(alice)
    url = reverse("console:account_change_type", args=[structure_a.pk, account.pk])
    form = client.get(url, {"type": "ORG"}).context["form"]
    data: dict[str, Any] = {name: form[name].value() or "" for name in form.fields}
    data.update(
        type="ORG",
        profession="10",
        description="Accueil",
        resp_structure_id_type="FINESS",
        resp_structure_id=factories.finess(),
        resp_last_name="MARTIN",
        resp_first_name="Paul",
        resp_profession="10",
        resp_identifier=factories.rpps(),
        connection_accounts=helper.email,
    )
    response = client.post(url, data, follow=True)
    account.refresh_from_db()
    assert account.type == "ORG", response.content.decode()
    person.refresh_from_db()
    assert person.is_active


def test_the_admin_can_no_longer_apply_an_email_change(
    client: Client, alice: User, structure_a: Structure
) -> None:
    account = factories.make_account(structure_a, "MED", "cible@ch-a.fr")
    client.force_login(alice)
    client.post(
        reverse("console:email_change_request", args=[structure_a.pk, account.pk]),
        {"new_email": "nouvelle@ch-a.fr"},
    )
    change = EmailChangeRequest.objects.get()
    old_apply = f"/console/structures/{structure_a.pk}/changements-mail/{change.pk}/appliquer/"
    assert client.post(old_apply).status_code == 404
    account.refresh_from_db()
    assert account.email == "cible@ch-a.fr"
    listing = client.get(reverse("console:email_changes", args=[structure_a.pk]))
    assert "Renvoyer le lien" in listing.content.decode()


def test_resending_the_finalisation_link_is_audited_with_issuer_and_structure(
    client: Client,
    alice: User,
    structure_a: Structure,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Any,
) -> None:
    account = factories.make_account(structure_a, "MED", "pre@ch-a.fr")
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("identity:resend", args=[account.pk]))
    smtp_sink.wait_for("pre@ch-a.fr")
    event = AuditEvent.objects.filter(action="identity.invitation_sent").latest("seq")
    assert event.actor == alice and event.structure_id == structure_a.pk
    assert event.detail["sent_to"] == "pre@ch-a.fr"
