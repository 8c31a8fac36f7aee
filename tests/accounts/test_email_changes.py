"""An email change takes effect only when the link sent to the new address is confirmed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from caducee.accounts.email_changes import (
    cancel_email_change,
    request_email_change,
    request_own_email_change,
    resend_email_change_link,
)
from caducee.accounts.models import Account, AccountState, EmailChangeRequest
from caducee.accounts.operations import deactivate_account
from caducee.accounts.queries import email_changes_in
from caducee.audit.models import AuditEvent
from caducee.core.context import Context, cli_context
from caducee.core.errors import Invalid, NotFound
from caducee.directory.addresses import mssante_address
from caducee.mail.addresses import local_by_mssante
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.conftest import PASSWORD
from tests.smtp_sink import SmtpSink, url_in

pytestmark = pytest.mark.django_db

NEW = "jeanne.nouvelle@example.org"


@pytest.fixture
def jeanne(structure_a: Structure) -> Account:
    return factories.make_account(structure_a, "PER", "jeanne@ch-a.fr")


def _request(
    capture: Any, sink: SmtpSink, admin: User, account: Account, new: str = NEW
) -> tuple[EmailChangeRequest, str]:
    since = sink.count()
    with capture(execute=True):
        change = request_email_change(Context(user=admin, ip="127.0.0.1"), account, new)
    return change, url_in(sink.wait_for(new, since=since))


def test_nothing_changes_until_the_new_address_confirms(
    alice: User,
    jeanne: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Any,
) -> None:
    change, link = _request(django_capture_on_commit_callbacks, smtp_sink, alice, jeanne)
    notice = smtp_sink.wait_for("jeanne@ch-a.fr")
    assert NEW in notice.text and "Centre hospitalier A" in notice.text
    token = link.rstrip("/").rsplit("/", 1)[1]
    change.refresh_from_db()
    assert change.token_hash and token not in change.token_hash  # only the hash is kept
    jeanne.refresh_from_db()
    assert jeanne.email == "jeanne@ch-a.fr"
    client = Client()
    page = client.get(link)  # a link preview must not apply it
    assert page.status_code == 200 and "Confirmer l'adresse" in page.content.decode()
    jeanne.refresh_from_db()
    assert jeanne.email == "jeanne@ch-a.fr"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link)
    assert response.status_code == 302
    jeanne.refresh_from_db()
    assert jeanne.email == NEW
    assert jeanne.user is not None and jeanne.user.email == NEW
    change.refresh_from_db()
    assert change.status == EmailChangeRequest.Status.DONE and change.confirmed_at
    done = smtp_sink.to("jeanne@ch-a.fr")[-1]
    assert "utilise désormais" in done.text
    event = AuditEvent.objects.get(action="account.email_change_confirm")
    assert event.structure_id == jeanne.structure_id
    assert event.detail["requested_by"] == "alice@ch-a.fr"
    assert event.detail["old_email"] == "jeanne@ch-a.fr"
    # Single use.
    again = client.post(link)
    assert again.status_code == 410


def test_an_expired_link_changes_nothing(
    alice: User, jeanne: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    change, link = _request(django_capture_on_commit_callbacks, smtp_sink, alice, jeanne)
    EmailChangeRequest.objects.filter(pk=change.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert Client().post(link).status_code == 410
    jeanne.refresh_from_db()
    assert jeanne.email == "jeanne@ch-a.fr"


def test_cancel_and_resend_kill_the_previous_link(
    alice: User, jeanne: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    ctx = Context(user=alice)
    change, first = _request(django_capture_on_commit_callbacks, smtp_sink, alice, jeanne)
    since = smtp_sink.count()
    with django_capture_on_commit_callbacks(execute=True):
        resend_email_change_link(ctx, change)
    second = url_in(smtp_sink.wait_for(NEW, since=since))
    assert second != first
    assert Client().post(first).status_code == 410
    cancel_email_change(ctx, change)
    assert Client().post(second).status_code == 410
    jeanne.refresh_from_db()
    assert jeanne.email == "jeanne@ch-a.fr"
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "account.email_change_resend" in actions


@pytest.mark.parametrize("kind", factories.VICTIM_KINDS)
def test_the_confirmation_checks_again_the_persons_rights(
    alice: User,
    jeanne: Account,
    structure_b: Structure,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Any,
    kind: str,
) -> None:
    _, link = _request(django_capture_on_commit_callbacks, smtp_sink, alice, jeanne)
    assert jeanne.user is not None
    factories.give_rights_elsewhere(kind, jeanne.user, structure_b)
    page = Client().post(link)
    assert "ne peut plus être appliqué" in page.content.decode()
    jeanne.refresh_from_db()
    assert jeanne.email == "jeanne@ch-a.fr" and jeanne.user is not None
    assert jeanne.user.email == "jeanne@ch-a.fr"


def test_the_confirmation_checks_again_that_the_address_is_free(
    alice: User,
    jeanne: Account,
    structure_b: Structure,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _, link = _request(django_capture_on_commit_callbacks, smtp_sink, alice, jeanne)
    factories.make_admin(structure_b, NEW)
    page = Client().post(link).content.decode()
    assert "ne peut plus être appliqué" in page and "Clinique B" not in page
    jeanne.refresh_from_db()
    assert jeanne.email == "jeanne@ch-a.fr"


# --- Who asked, the person's own request, states (issue #15, point 4) ----------------------


def _own(capture: Any, sink: SmtpSink, account: Account, new: str = NEW) -> EmailChangeRequest:
    assert account.user is not None
    since = sink.count()
    with capture(execute=True):
        change = request_own_email_change(Context(user=account.user), new, PASSWORD)
    sink.wait_for(new, since=since)
    return change


@pytest.fixture
def jeanne_logs_in(jeanne: Account) -> Account:
    assert jeanne.user is not None
    jeanne.user.password = factories.password_hash(PASSWORD)
    jeanne.user.save()
    return jeanne


def test_the_emails_say_which_admin_asked_and_how_to_react(
    alice: User, jeanne: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    _request(django_capture_on_commit_callbacks, smtp_sink, alice, jeanne)
    confirm = smtp_sink.to(NEW)[-1].text
    notice = smtp_sink.wait_for("jeanne@ch-a.fr").text
    who = "Demande faite par : alice@ch-a.fr, administrateur de Centre hospitalier A."
    assert who in " ".join(confirm.split()) and who in " ".join(notice.split())
    assert "Si vous n'êtes pas à l'origine de cette demande" in notice
    assert "« Annuler ma demande »" in notice and "/securite/adresse-mail/" in notice


def test_a_request_from_the_cli_names_the_operator(
    jeanne: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request_email_change(cli_context(), jeanne, NEW)
    notice = smtp_sink.wait_for("jeanne@ch-a.fr").text
    assert "Demande faite par : l'opérateur de la plateforme." in " ".join(notice.split())


def test_a_person_asks_for_their_own_change_then_confirms_it(
    jeanne_logs_in: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    jeanne = jeanne_logs_in
    change = _own(django_capture_on_commit_callbacks, smtp_sink, jeanne)
    assert change.by_self and change.state == "pending"
    confirm = smtp_sink.to(NEW)[-1]
    assert "Vous avez demandé" in confirm.text
    notice = smtp_sink.wait_for("jeanne@ch-a.fr").text
    assert "Vous avez demandé" in notice and "vous-même (jeanne@ch-a.fr)" in notice
    event = AuditEvent.objects.get(action="account.email_change_request")
    assert event.actor == jeanne.user and event.detail["by"] == "self"
    jeanne.refresh_from_db()
    assert jeanne.email == "jeanne@ch-a.fr"  # not before the confirmation
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(url_in(confirm))
    jeanne.refresh_from_db()
    assert jeanne.email == NEW and jeanne.user is not None and jeanne.user.email == NEW


def test_a_person_with_rights_elsewhere_may_still_move_their_own_login(
    jeanne_logs_in: Account,
    structure_b: Structure,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The rights-elsewhere rule stops an admin handing over a login; the person's own
    request is confirmed from the new address like any other."""
    jeanne = jeanne_logs_in
    assert jeanne.user is not None
    factories.give_rights_elsewhere("admin_elsewhere", jeanne.user, structure_b)
    _own(django_capture_on_commit_callbacks, smtp_sink, jeanne)
    Client().post(url_in(smtp_sink.to(NEW)[-1]))
    jeanne.refresh_from_db()
    assert jeanne.email == NEW


def test_the_own_request_needs_the_password_and_a_mailbox(
    jeanne_logs_in: Account, charlie: User
) -> None:
    assert jeanne_logs_in.user is not None
    with pytest.raises(Invalid) as exc:
        request_own_email_change(Context(user=jeanne_logs_in.user), NEW, "mauvais")
    assert exc.value.errors()[0].field == "password"
    with pytest.raises(NotFound) as missing:
        request_own_email_change(Context(user=charlie), NEW, PASSWORD)
    assert "aucune boîte nominative" in missing.value.message
    assert not EmailChangeRequest.objects.exists()


def test_a_deactivated_mailbox_cannot_ask(jeanne_logs_in: Account) -> None:
    deactivate_account(cli_context(), jeanne_logs_in)
    jeanne_logs_in.refresh_from_db()
    assert jeanne_logs_in.user is not None
    with pytest.raises(Invalid) as exc:
        request_own_email_change(Context(user=jeanne_logs_in.user), NEW, PASSWORD)
    assert "désactivé" in exc.value.message


def test_the_person_cancels_their_request_and_no_one_else_can(
    alice: User,
    bob: User,
    charlie: User,
    jeanne_logs_in: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Any,
) -> None:
    jeanne = jeanne_logs_in
    change, _ = _request(django_capture_on_commit_callbacks, smtp_sink, alice, jeanne)
    for stranger in (bob, charlie):
        with pytest.raises(NotFound):
            cancel_email_change(Context(user=stranger), change)
    cancel_email_change(Context(user=jeanne.user), change)  # asked by her admin: hers too
    change.refresh_from_db()
    assert change.status == EmailChangeRequest.Status.CANCELLED
    event = AuditEvent.objects.get(action="account.email_change_cancel")
    assert event.actor == jeanne.user and event.detail["by"] == "self"


def test_an_expired_request_gives_way_to_a_new_one(
    alice: User, jeanne: Account, smtp_sink: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    change, _ = _request(django_capture_on_commit_callbacks, smtp_sink, alice, jeanne)
    with pytest.raises(Invalid):  # still valid: one pending request at a time
        request_email_change(Context(user=alice), jeanne, "autre@example.org")
    EmailChangeRequest.objects.filter(pk=change.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    change.refresh_from_db()
    assert (change.state, change.state_label) == ("expired", "Expirée")
    request_email_change(Context(user=alice), jeanne, "autre@example.org")
    change.refresh_from_db()
    assert change.status == EmailChangeRequest.Status.EXPIRED


def test_the_list_filters_by_state_and_address(
    alice: User, structure_a: Structure, structure_b: Structure
) -> None:
    ctx = Context(user=alice)
    accounts = [factories.make_account(structure_a, "PER") for _ in range(4)]
    changes = [request_email_change(ctx, a, f"n{i}@example.org") for i, a in enumerate(accounts)]
    cancel_email_change(ctx, changes[1])
    EmailChangeRequest.objects.filter(pk=changes[2].pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    EmailChangeRequest.objects.filter(pk=changes[3].pk).update(status="done")
    other = factories.make_account(structure_b, "PER")
    request_email_change(cli_context(), other, "ailleurs@example.org")

    def ids(state: str = "", text: str = "") -> list[int]:
        return [c.pk for c in email_changes_in(structure_a, state, text)]

    assert ids() == [c.pk for c in reversed(changes)]
    assert ids("pending") == [changes[0].pk]
    assert ids("cancelled") == [changes[1].pk]
    assert ids("expired") == [changes[2].pk]
    assert ids("done") == [changes[3].pk]
    assert ids(text="N2@") == [changes[2].pk]
    with pytest.raises(Invalid) as exc:
        ids("perdu")
    assert "État « perdu » inconnu" in exc.value.message


def test_another_mailboxs_mssante_address_cannot_become_a_login(
    alice: User, jeanne: Account, structure_b: Structure
) -> None:
    factories.make_account(jeanne.structure, "PER", "paul@ch-a.fr", mssante_particle="paul.m")
    factories.make_account(structure_b, "PER", "zoe@clinique-b.fr", mssante_particle="zoe")
    ctx = Context(user=alice)
    with pytest.raises(Invalid) as mine:
        request_email_change(ctx, jeanne, "paul.m@ch-a.mssante.fr")
    assert "Un compte de vos structures utilise déjà l'adresse" in mine.value.message
    with pytest.raises(Invalid) as theirs:
        request_email_change(ctx, jeanne, "zoe@clinique-b.mssante.fr")
    assert "ne peut pas être utilisée pour ce compte" in theirs.value.message
    assert "Clinique B" not in theirs.value.message


def test_the_mssante_address_does_not_follow_the_login(
    alice: User,
    structure_a: Structure,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A login that was the MSSanté address itself: after the change, the mailbox keeps
    its MSSanté address (directory, routing), and the login is the new address."""
    account = factories.make_account(
        structure_a, "PER", "jean.dupont@ch-a.mssante.fr", mssante_particle="jean.dupont"
    )
    _, link = _request(django_capture_on_commit_callbacks, smtp_sink, alice, account)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(link)
    account.refresh_from_db()
    assert account.email == NEW and account.mssante_particle == "jean.dupont"
    assert mssante_address(account) == "jean.dupont@ch-a.mssante.fr"
    found = local_by_mssante("jean.dupont@ch-a.mssante.fr")
    assert found is not None and found.pk == account.pk


def test_a_deleted_accounts_address_cannot_change(jeanne: Account) -> None:
    Account.objects.filter(pk=jeanne.pk).update(state=AccountState.DELETED)
    jeanne.refresh_from_db()
    with pytest.raises(Invalid, match="compte est supprimé"):
        request_email_change(cli_context(), jeanne, "jeanne.neuve@example.org")
    assert not EmailChangeRequest.objects.filter(account=jeanne).exists()


def test_an_expired_request_does_not_hold_its_new_address(
    structure_a: Structure, jeanne: Account
) -> None:
    first = request_email_change(cli_context(), jeanne, "libre@example.org")
    EmailChangeRequest.objects.filter(pk=first.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    other = factories.make_account(structure_a, "PER", "paul@ch-a.fr")
    second = request_email_change(cli_context(), other, "libre@example.org")
    assert second.new_email == "libre@example.org"
    with pytest.raises(Invalid, match="Une autre demande en attente"):
        request_email_change(
            cli_context(),
            factories.make_account(structure_a, "PER", "zoe@ch-a.fr"),
            "libre@example.org",
        )
