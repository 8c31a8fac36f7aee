"""Purges of rows that no longer serve: expired sessions, dead codes and links, quiet
throttles, finished mail queue entries. Each returns a short French summary."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import Q
from django.utils import timezone

from caducee.identity.models import ActionLink, LoginCode, Throttle
from caducee.mail.operations import purge_delivered


def purge_sessions(now: datetime | None = None) -> str:
    """What `django-admin clearsessions` does, for the database session store."""
    now = now or timezone.now()
    deleted, _ = Session.objects.filter(expire_date__lt=now).delete()
    return f"{deleted} session(s) expirée(s) supprimée(s)."


def purge_identity(now: datetime | None = None) -> str:
    """Login codes and one-time links used or expired more than
    CADUCEE_IDENTITY_PURGE_DAYS ago (kept that long so that a late click still gets
    « lien déjà utilisé » or « lien expiré » rather than « lien inconnu »), and throttle
    rows whose window is over (a later failure would start from zero anyway)."""
    now = now or timezone.now()
    before = now - timedelta(days=int(getattr(settings, "IDENTITY_PURGE_DAYS", 7)))
    dead = Q(expires_at__lt=before) | Q(used_at__lt=before)
    codes, _ = LoginCode.objects.filter(dead).delete()
    links, _ = ActionLink.objects.filter(dead).delete()
    window = now - timedelta(minutes=int(settings.LOCKOUT_MINUTES))
    quiet = Q(last_failure_at__isnull=True) | Q(last_failure_at__lt=window)
    free = Q(next_allowed_at__isnull=True) | Q(next_allowed_at__lt=now)
    throttles, _ = Throttle.objects.filter(quiet & free).delete()
    return (
        f"{codes} code(s) de connexion, {links} lien(s) à usage unique et "
        f"{throttles} compteur(s) d'échecs supprimés."
    )


def purge_mail_queue(now: datetime | None = None) -> str:
    """Queue entries delivered (or bounced) more than CADUCEE_MAIL_QUEUE_KEEP_DAYS ago, and
    the message bodies no waiting entry needs (`mail.operations.purge_delivered`)."""
    keep = timedelta(days=int(getattr(settings, "MAIL_QUEUE_KEEP_DAYS", 30)))
    deleted = purge_delivered(keep, now)
    return f"{deleted} entrée(s) de file d'envoi terminée(s) supprimée(s)."


def purge_tasks(now: datetime | None = None) -> str:
    """Finished tasks (successful or failed) of the database backend that ended more than
    CADUCEE_TASK_KEEP_DAYS ago; with Redis, RQ expires its results on its own."""
    from django_tasks_db.models import DBTaskResult

    from caducee.tasks.config import uses_database_backend

    if not uses_database_backend():
        return "File Redis : les résultats des tâches expirent d'eux-mêmes."
    now = now or timezone.now()
    before = now - timedelta(days=int(getattr(settings, "TASK_KEEP_DAYS", 7)))
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=before).delete()
    return f"{deleted} tâche(s) terminée(s) supprimée(s)."
