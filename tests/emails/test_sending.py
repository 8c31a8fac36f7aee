"""Sending: the relay down never fails the action, a row is sent once whatever the tasks
do, transient failures are retried and permanent refusals fail that row only."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.emails.models import EmailStatus, OutgoingEmail
from caducee.emails.sending import claim, classify, send_rows
from caducee.emails.tasks import send_emails
from caducee.identity.operations import send_login_code
from caducee.people.models import User
from tests.console.conftest import logged_in
from tests.emails.relay import picky_relay
from tests.smtp_sink import SmtpSink
from tests.task_queue import run_ready_tasks

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]
Committed = Callable[..., list[OutgoingEmail]]


def test_a_relay_outage_never_fails_the_action_and_the_email_leaves_once_back(
    settings: Any,
    relay_down: int,
    charlie: User,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    settings.TASK_RETRY_SECONDS = 1
    with django_capture_on_commit_callbacks(execute=True):
        send_login_code(cli_context(), charlie)  # no exception: the action stands
    assert AuditEvent.objects.filter(action="identity.code_sent").count() == 1
    run_ready_tasks()  # the first attempt meets the closed port
    row = OutgoingEmail.objects.get()
    assert row.status == EmailStatus.PENDING and row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert smtp_sink._received() == []
    settings.EMAIL_PORT = smtp_sink.port  # the relay is back
    smtp_sink.wait_for(charlie.email)  # the retry, due after a second
    row.refresh_from_db()
    assert row.status == EmailStatus.SENT and row.sent_at is not None and row.attempts == 2
    assert run_ready_tasks() == 0 and len(smtp_sink.to(charlie.email)) == 1


def test_a_task_run_twice_or_twice_enqueued_sends_each_email_once(
    committed: Committed, smtp_sink: SmtpSink
) -> None:
    rows = committed(3)
    ids = [r.pk for r in rows]
    send_emails.enqueue(ids)  # a second task for the same rows
    assert run_ready_tasks() == 2
    assert send_rows(ids) == {"sent": 0, "failed": 0, "retried": 0}  # and a third run
    received = smtp_sink.messages
    assert sorted(r for m in received for r in m.recipients) == [r.recipient for r in rows]
    keys = {f"<{r.key}@caducee.localhost>" for r in rows}
    assert {str(m.message["Message-ID"]) for m in received} == keys
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {EmailStatus.SENT}


def test_a_held_row_is_not_taken_until_its_claim_expires(committed: Committed) -> None:
    ids = [r.pk for r in committed(2)]
    assert [r.pk for r in claim(ids, "first")] == ids
    assert claim(ids, "second") == []
    OutgoingEmail.objects.filter(pk=ids[0]).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert [r.pk for r in claim(ids, "third")] == [ids[0]]


def test_transient_refusals_are_retried_permanent_ones_fail_that_email_only(
    settings: Any, django_capture_on_commit_callbacks: Capture, committed: Committed
) -> None:
    from caducee.emails.outbox import queue_email

    settings.TASK_RETRY_SECONDS = 60
    with django_capture_on_commit_callbacks(execute=True):
        for address in ("busy@example.org", "refuse@example.org", "ok@example.org"):
            queue_email(address, "lockout", {"minutes": 15})
    with picky_relay() as relay:
        settings.EMAIL_PORT = relay.port
        assert run_ready_tasks() == 1
        assert relay.recipients() == ["ok@example.org"]
    rows = {r.recipient: r for r in OutgoingEmail.objects.all()}
    assert rows["ok@example.org"].status == EmailStatus.SENT
    refused = rows["refuse@example.org"]
    assert refused.status == EmailStatus.FAILED and "550" in refused.last_error
    busy = rows["busy@example.org"]
    assert busy.status == EmailStatus.PENDING and "451" in busy.last_error
    assert busy.next_attempt_at > timezone.now() + timedelta(seconds=50)
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs == {"args": [[busy.pk]], "kwargs": {"attempt": 2}}
    assert retry.run_after is not None and retry.run_after > timezone.now()


def test_after_the_last_attempt_the_email_stays_failed_and_the_operator_sees_it(
    settings: Any, relay_down: int, committed: Committed, client: Client, operator: User
) -> None:
    settings.TASK_RETRY_SECONDS = 0
    settings.TASK_RETRY_ATTEMPTS = 3
    (row,) = committed(1, prefix="perdu")
    assert run_ready_tasks() == 3
    row.refresh_from_db()
    assert row.status == EmailStatus.FAILED and row.attempts == 3
    assert "abandonné après 3 tentatives" in row.last_error
    assert "ConnectionRefusedError" in row.last_error
    html = logged_in(client, operator).get(reverse("console:scheduler")).content.decode()
    assert "En échec définitif : <strong>1</strong>" in html
    assert "perdu-0@example.org" in html and "ConnectionRefusedError" in html


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "connection"),
        (TimeoutError("timed out"), "connection"),
        (smtplib.SMTPServerDisconnected("closed"), "connection"),
        (smtplib.SMTPResponseException(421, b"closing"), "connection"),
        (smtplib.SMTPRecipientsRefused({"a@x.org": (450, b"busy")}), "transient"),
        (smtplib.SMTPRecipientsRefused({"a@x.org": (550, b"unknown")}), "permanent"),
        (smtplib.SMTPDataError(452, b"storage"), "transient"),
        (smtplib.SMTPDataError(554, b"rejected"), "permanent"),
        (smtplib.SMTPSenderRefused(553, b"no", "f@x.org"), "permanent"),
    ],
)
def test_it_tells_transient_from_permanent_failures(error: Exception, kind: str) -> None:
    assert classify(error) == kind
