"""Queueing: a row in the action's transaction, tasks of up to 200 rows on commit, login
codes on the urgent queue."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from caducee.core.context import cli_context
from caducee.emails.models import EmailStatus, OutgoingEmail
from caducee.emails.outbox import new_row, queue_email, queue_rows, render
from caducee.identity.operations import send_login_code
from caducee.people.models import User
from caducee.tasks.queues import URGENT, URGENT_PRIORITY
from caducee.tasks.worker import run_ready
from tests.smtp_sink import SmtpSink, code_in

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


def task_ids() -> list[list[int]]:
    return [r.args_kwargs["args"][0] for r in DBTaskResult.objects.order_by("enqueued_at", "id")]


def _queue_then_fail(recipient: str) -> None:
    """Queue an email in an action that then fails: its transaction rolls back."""
    with transaction.atomic():
        queue_email(recipient, "lockout", {"minutes": 15})
        raise RuntimeError


def test_it_queues_nothing_when_the_action_rolls_back() -> None:
    with pytest.raises(RuntimeError):
        _queue_then_fail("x@example.org")
    assert not OutgoingEmail.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_it_writes_the_rendered_email_and_enqueues_it_on_commit(
    committed: Callable[..., list[OutgoingEmail]],
) -> None:
    (row,) = committed(1)
    row.refresh_from_db()
    assert row.status == EmailStatus.PENDING and row.attempts == 0
    assert row.recipient == "dest-0@example.org" and row.template == "lockout"
    assert "15 minutes" in row.text and "<" in row.html and row.subject
    assert task_ids() == [[row.pk]]


def test_a_callers_key_queues_its_email_once(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = queue_email("x@example.org", "lockout", {"minutes": 15}, key="lockout-42")
        again = queue_email("x@example.org", "lockout", {"minutes": 15}, key="lockout-42")
    assert again.pk == first.pk and OutgoingEmail.objects.count() == 1
    assert task_ids() == [[first.pk]]


def test_it_batches_a_transactions_emails_into_tasks_of_200(
    committed: Callable[..., list[OutgoingEmail]],
) -> None:
    rows = committed(450)
    batches = task_ids()
    assert [len(ids) for ids in batches] == [200, 200, 50]
    assert sorted(i for ids in batches for i in ids) == sorted(r.pk for r in rows)


def test_bulk_queueing_writes_many_rows_and_few_tasks(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    rendered = render("lockout", {"minutes": 15})
    with django_capture_on_commit_callbacks(execute=True):
        count = queue_rows(new_row(f"n{i}@example.org", "lockout", rendered) for i in range(401))
    assert count == 401 == OutgoingEmail.objects.count()
    assert [len(ids) for ids in task_ids()] == [200, 200, 1]


def test_an_email_rolled_back_in_a_savepoint_is_not_sent(
    django_capture_on_commit_callbacks: Capture, smtp_sink: SmtpSink
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        queue_email("kept@example.org", "lockout", {"minutes": 15})
        with pytest.raises(RuntimeError):
            _queue_then_fail("undone@example.org")
    assert [m.recipients for m in smtp_sink.messages] == [["kept@example.org"]]


def test_login_codes_go_first_through_the_urgent_queue(
    charlie: User,
    smtp_sink: SmtpSink,
    committed: Callable[..., list[OutgoingEmail]],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    committed(3)  # waiting on the default queue
    with django_capture_on_commit_callbacks(execute=True):
        send_login_code(cli_context(), charlie)
    row = OutgoingEmail.objects.get(recipient=charlie.email)
    assert (row.queue, row.priority) == (URGENT, URGENT_PRIORITY)
    urgent = DBTaskResult.objects.get(queue_name=URGENT)
    assert urgent.priority == URGENT_PRIORITY and urgent.args_kwargs["args"][0] == [row.pk]
    assert run_ready([URGENT]) == 1  # an urgent-only worker sends it, nothing else
    assert len(smtp_sink._received()) == 1
    assert code_in(smtp_sink._received()[0])
    assert OutgoingEmail.objects.filter(status=EmailStatus.PENDING).count() == 3


def test_on_redis_the_urgent_queue_alone_carries_the_login_codes() -> None:
    """RQ has no task priority: enqueueing with one would fail every login (seen in the
    multi-node scenario); the urgent queue alone puts the codes first."""
    from django.test import override_settings

    from caducee.emails.tasks import task_for
    from caducee.tasks.config import task_settings
    from caducee.tasks.queues import URGENT

    tasks, queues, _apps = task_settings("redis://127.0.0.1:6379/14")
    with override_settings(TASKS=tasks, RQ_QUEUES=queues):
        urgent = task_for(URGENT)
        assert urgent.queue_name == URGENT
        assert not urgent.get_backend().supports_priority
        urgent.get_backend().validate_task(urgent)  # raised before the fix


def test_subject_and_text_parts_are_not_html_escaped_the_html_part_is() -> None:
    source = SimpleNamespace(name="Clinique de l'Étang & Cie")
    target = SimpleNamespace(name="Hôpital d'Albi <Nord>")
    account = SimpleNamespace(first_name="Zoé", last_name="O'Neil", email="zoe@ch-a.fr")
    rendered = render(
        "account_moved", {"account": account, "source": source, "target": target, "detached": []}
    )
    assert "O'Neil" in rendered.text and "Clinique de l'Étang & Cie" in rendered.text
    assert "Hôpital d'Albi <Nord>" in rendered.text
    assert rendered.subject == "Votre compte Caducée est rattaché à Hôpital d'Albi <Nord>"
    assert "&#x27;" not in rendered.text + rendered.subject and "&amp;" not in rendered.text
    assert "O&#x27;Neil" in rendered.html and "&lt;Nord&gt;" in rendered.html
