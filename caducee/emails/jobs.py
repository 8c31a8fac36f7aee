"""The outbox's scheduled jobs: the sweep (rows whose task was lost) and the purge."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from caducee.emails.models import EmailStatus, OutgoingEmail
from caducee.emails.outbox import enqueue

# A pending row this long past its due time, held by nobody, lost its task (an enqueue
# that failed, Redis restarted without its data…): the sweep enqueues it again.
SWEEP_GRACE = timedelta(minutes=10)


def sweep(now: datetime | None = None) -> str:
    """Enqueue again the pending rows overdue by SWEEP_GRACE that no task holds."""
    now = now or timezone.now()
    lost = OutgoingEmail.objects.filter(
        status=EmailStatus.PENDING, next_attempt_at__lte=now - SWEEP_GRACE
    ).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    by_queue: dict[str, list[int]] = {}
    for pk, queue in lost.order_by("pk").values_list("pk", "queue"):
        by_queue.setdefault(queue, []).append(pk)
    total = 0
    for queue, ids in by_queue.items():
        # Due again from now: the next sweep leaves them to these tasks for SWEEP_GRACE.
        for start in range(0, len(ids), 1000):
            OutgoingEmail.objects.filter(pk__in=ids[start : start + 1000]).update(
                next_attempt_at=now
            )
        enqueue(ids, queue)
        total += len(ids)
    return f"{total} email(s) en attente remis dans la file."


def purge_sent(now: datetime | None = None) -> str:
    """Delete the rows sent more than CADUCEE_EMAIL_KEEP_DAYS days ago."""
    now = now or timezone.now()
    days = max(1, int(settings.EMAIL_KEEP_DAYS))
    deleted, _ = OutgoingEmail.objects.filter(
        status=EmailStatus.SENT, sent_at__lt=now - timedelta(days=days)
    ).delete()
    return f"{deleted} email(s) envoyé(s) depuis plus de {days} jour(s) supprimé(s)."


def register_all() -> None:
    from caducee.scheduler.registry import Job, register

    register(
        Job(
            "emails_sweep",
            "Relance des emails en attente dont la tâche a été perdue",
            lambda: timedelta(minutes=1),
            lambda: sweep(),
        )
    )
    register(
        Job(
            "emails_purge",
            "Purge des emails envoyés anciens",
            lambda: timedelta(minutes=max(1, int(settings.SCHEDULER_PURGE_MINUTES))),
            lambda: purge_sent(),
        )
    )
