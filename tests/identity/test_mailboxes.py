"""Landing in the right mailbox and "Changer de compte"."""

from __future__ import annotations

from django.test import Client

from caducee.accounts.models import Account
from caducee.accounts.operations import add_delegate, remove_delegate
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.identity.mailboxes import SESSION_KEY, mailbox_access, may_open, openable
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories


def test_the_header_lists_the_mailboxes_one_may_open(
    client: Client, pierre: Account, secretariat: Account
) -> None:
    assert pierre.user is not None
    client.force_login(pierre.user)
    page = client.get("/securite/").content.decode()
    assert "Changer de compte" in page
    assert pierre.email in page and secretariat.email in page


def test_switching_mailbox_is_checked_and_audited(
    client: Client, pierre: Account, secretariat: Account
) -> None:
    assert pierre.user is not None
    client.force_login(pierre.user)
    response = client.post("/changer-de-compte/", {"mailbox": secretariat.pk})
    assert response["Location"] == "/ma-boite/"
    assert client.session[SESSION_KEY] == secretariat.pk
    event = AuditEvent.objects.get(action="identity.switch_mailbox")
    assert event.actor_id == pierre.user_id and event.acting_as == secretariat.email
    assert event.structure_id == secretariat.structure_id


def test_a_mailbox_one_is_not_linked_to_is_404(
    client: Client, pierre: Account, structure_b: Structure
) -> None:
    other = factories.make_account(structure_b, "ORG", email="accueil@clinique-b.fr")
    assert pierre.user is not None
    client.force_login(pierre.user)
    assert client.post("/changer-de-compte/", {"mailbox": other.pk}).status_code == 404
    assert client.post("/changer-de-compte/", {"mailbox": "x"}).status_code == 404
    assert not AuditEvent.objects.filter(action="identity.switch_mailbox").exists()


def test_a_person_with_a_mailbox_lands_in_the_webmail(client: Client, pierre: Account) -> None:
    assert pierre.user is not None
    client.force_login(pierre.user)
    assert client.get("/ma-boite/")["Location"] == "/messagerie/"


def test_a_person_without_mailbox_but_admin_lands_on_the_console(
    client: Client, alice: User
) -> None:
    client.force_login(alice)
    assert client.get("/ma-boite/")["Location"] == "/console/"


def test_a_person_without_mailbox_nor_admin_role_is_told(client: Client, charlie: User) -> None:
    client.force_login(charlie)
    page = client.get("/ma-boite/").content.decode()
    assert "Aucune boîte aux lettres" in page


# --- Delegations (issue #15, point 7) -------------------------------------------------------


def _delegate(owner: Account, delegate: Account, right: str) -> None:
    add_delegate(cli_context(), owner, delegate.email, right)


def test_a_delegate_opens_the_delegating_mailbox_in_the_webmail_only(
    client: Client, pierre: Account, structure_a: Structure
) -> None:

    doctor = factories.make_account(structure_a, "PER", email="dr.durand@ch-a.fr")
    _delegate(doctor, pierre, "reponse")
    assert pierre.user is not None
    assert [m.pk for m in openable(pierre.user)] == [pierre.pk]  # API, SMTP submission
    assert [m.pk for m in openable(pierre.user, delegated=True)] == [pierre.pk, doctor.pk]
    assert not may_open(pierre.user, doctor)
    access = mailbox_access(pierre.user, doctor, delegated=True)
    assert access is not None and access.right == "reponse"
    client.force_login(pierre.user)
    page = client.get("/securite/").content.decode()
    assert f"{doctor.email} (délégation)" in page
    response = client.post("/changer-de-compte/", {"mailbox": doctor.pk})
    assert response.status_code == 302 and client.session[SESSION_KEY] == doctor.pk
    event = AuditEvent.objects.get(action="identity.switch_mailbox")
    assert event.actor_id == pierre.user_id and event.acting_as == doctor.email
    assert event.detail == {"delegation": "reponse"}


def test_removing_the_delegation_sends_the_delegate_back_at_the_next_click(
    client: Client, pierre: Account, structure_a: Structure
) -> None:

    doctor = factories.make_account(structure_a, "PER", email="dr.durand@ch-a.fr")
    _delegate(doctor, pierre, "lecture")
    assert pierre.user is not None
    client.force_login(pierre.user)
    client.post("/changer-de-compte/", {"mailbox": doctor.pk})
    assert client.session[SESSION_KEY] == doctor.pk
    remove_delegate(cli_context(), doctor, pierre)
    page = client.get("/ma-boite/", follow=True).content.decode()
    assert "ne vous est plus accessible" in page and pierre.email in page
    assert client.session[SESSION_KEY] == pierre.pk
    assert client.post("/changer-de-compte/", {"mailbox": doctor.pk}).status_code == 404


def test_a_deactivated_delegating_account_cannot_be_opened(
    client: Client, pierre: Account, structure_a: Structure
) -> None:
    doctor = factories.make_account(structure_a, "PER", email="dr.durand@ch-a.fr")
    _delegate(doctor, pierre, "lecture")
    Account.objects.filter(pk=doctor.pk).update(state="desactive")
    assert pierre.user is not None
    client.force_login(pierre.user)
    assert client.post("/changer-de-compte/", {"mailbox": doctor.pk}).status_code == 404
    assert doctor.email not in client.get("/securite/").content.decode()
