"""Every identity event is written to the audit chain, attributed to the physical person."""

from __future__ import annotations

from django.test import Client

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.core.context import Context, cli_context
from caducee.identity import throttle
from caducee.identity.operations import logout_everywhere, unlock_login
from tests.identity.conftest import Capture, full_login, password_step
from tests.smtp_sink import SmtpSink


def _event(action: str) -> AuditEvent:
    events = list(AuditEvent.objects.filter(action=action))
    assert events, f"no {action} event"
    return events[-1]


def test_a_login_writes_code_sent_and_login_with_ip(
    client: Client,
    pierre: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    full_login(client, django_capture_on_commit_callbacks, smtp_sink, pierre.email, remember=True)
    for action in ("identity.code_sent", "identity.login", "identity.browser_remembered"):
        event = _event(action)
        assert event.actor_id == pierre.user_id and event.ip == "127.0.0.1"
        assert event.channel == "web"


def test_a_failure_is_written_without_revealing_more(
    client: Client, db: None, django_capture_on_commit_callbacks: Capture
) -> None:
    password_step(client, django_capture_on_commit_callbacks, "inconnu@ch-a.fr", "x" * 12)
    event = _event("identity.login_failed")
    assert event.actor_id is None and event.target_label == "inconnu@ch-a.fr"
    assert event.detail == {"stage": "password", "email": "inconnu@ch-a.fr"}


def test_logout_everywhere_and_unlock_are_written(pierre: Account) -> None:
    assert pierre.user is not None
    logout_everywhere(Context(user=pierre.user, ip="10.1.2.3"), pierre.user)
    assert _event("identity.logout_everywhere").ip == "10.1.2.3"
    throttle.fail([throttle.account_key(pierre.email)])
    unlock_login(cli_context(), pierre.email)
    event = _event("identity.unlock")
    assert event.channel == "cli" and event.detail == {"was_locked": True}


def test_the_chain_stays_valid(
    client: Client,
    pierre: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    from caducee.audit.verify import verify_chain

    full_login(client, django_capture_on_commit_callbacks, smtp_sink, pierre.email)
    report = verify_chain()
    assert report.ok and report.checked >= 3
