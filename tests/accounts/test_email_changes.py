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
    resend_email_change_link,
)
from caducee.accounts.models import Account, EmailChangeRequest
from caducee.audit.models import AuditEvent
from caducee.core.context import Context
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
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
