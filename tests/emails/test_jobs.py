"""The outbox's scheduled jobs: the sweep enqueues lost rows again, the purge forgets
old sent rows (failed ones stay for the operator)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caducee.emails.jobs import SWEEP_GRACE, purge_sent, sweep
from caducee.emails.models import EmailStatus, OutgoingEmail
from caducee.scheduler.registry import get
from tests.smtp_sink import SmtpSink
from tests.task_queue import run_ready_tasks

pytestmark = pytest.mark.django_db

Committed = Callable[..., list[OutgoingEmail]]


def test_the_sweep_enqueues_rows_whose_task_was_lost(
    committed: Committed, smtp_sink: SmtpSink
) -> None:
    rows = committed(3)
    DBTaskResult.objects.all().delete()  # the enqueue was lost (say Redis restarted)
    OutgoingEmail.objects.filter(pk=rows[2].pk).update(
        claimed_until=timezone.now() + timedelta(hours=1)  # a task is sending this one
    )
    assert sweep() == "0 email(s) en attente remis dans la file."  # not overdue yet
    later = timezone.now() + SWEEP_GRACE + timedelta(seconds=1)
    assert sweep(later) == "2 email(s) en attente remis dans la file."
    assert sweep(later) == "0 email(s) en attente remis dans la file."  # given time again
    assert run_ready_tasks() == 1
    assert sorted(r for m in smtp_sink.messages for r in m.recipients) == [
        rows[0].recipient,
        rows[1].recipient,
    ]


def test_the_purge_forgets_old_sent_emails_only(settings: Any, committed: Committed) -> None:
    settings.EMAIL_KEEP_DAYS = 30
    old, recent, failed = committed(3)
    long_ago = timezone.now() - timedelta(days=31)
    OutgoingEmail.objects.filter(pk=old.pk).update(status=EmailStatus.SENT, sent_at=long_ago)
    OutgoingEmail.objects.filter(pk=recent.pk).update(
        status=EmailStatus.SENT, sent_at=timezone.now() - timedelta(days=29)
    )
    OutgoingEmail.objects.filter(pk=failed.pk).update(
        status=EmailStatus.FAILED, created_at=long_ago
    )
    assert purge_sent() == "1 email(s) envoyé(s) depuis plus de 30 jour(s) supprimé(s)."
    assert sorted(OutgoingEmail.objects.values_list("pk", flat=True)) == [recent.pk, failed.pk]


def test_both_jobs_are_registered_with_the_scheduler() -> None:
    sweep_job, purge_job = get("emails_sweep"), get("emails_purge")
    assert sweep_job is not None and sweep_job.interval() == timedelta(minutes=1)
    assert purge_job is not None and purge_job.disabled() == ""
