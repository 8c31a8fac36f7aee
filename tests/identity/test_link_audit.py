"""Who issued a finalisation or reset link, and for which structure, is in the audit trail."""

from __future__ import annotations

from django.test import Client

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.core.context import Context, cli_context
from caducee.identity.operations import issue_reset_link, request_password_reset, resend_invitation
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.identity.conftest import Capture
from tests.identity.test_finalisation import _form
from tests.smtp_sink import SmtpSink, url_in


def _event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("seq")


def test_the_finalisation_names_who_sent_the_link(
    alice: User,
    paula: Account,
    structure_a: Structure,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        resend_invitation(Context(user=alice, ip="10.0.0.7"), paula)
    sent = _event("identity.invitation_sent")
    assert sent.actor == alice and sent.structure_id == structure_a.pk
    assert sent.detail["sent_to"] == paula.email
    link = url_in(smtp_sink.wait_for(paula.email))
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(link, _form(last_name="DURAND", first_name="Paula"))
    done = _event("identity.finalise")
    # The person finalising acts; the detail says who had issued their link, and where.
    assert done.actor_id == paula.user_id and done.structure_id == structure_a.pk
    issuer = done.detail["link_issued_by"]
    assert issuer["actor"] == "alice@ch-a.fr" and issuer["structure_id"] == structure_a.pk
    assert issuer["channel"] == "web"


def test_a_reset_link_is_recorded_with_the_persons_structure(
    pierre: Account, structure_a: Structure
) -> None:
    assert pierre.user is not None
    issue_reset_link(cli_context(), pierre.user)
    event = _event("identity.reset_link")
    assert event.structure_id == structure_a.pk and event.channel == "cli"
    assert event.detail["account"] == pierre.email


def test_a_reset_request_is_recorded_in_the_persons_structure(
    pierre: Account,
    structure_a: Structure,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request_password_reset(Context(user=None, ip="10.0.0.8"), pierre.email)
    smtp_sink.wait_for(pierre.email)  # sent from a background thread
    event = _event("identity.password_reset_requested")
    assert event.structure_id == structure_a.pk and event.actor_id is None
