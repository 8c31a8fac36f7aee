"""The dates of the lifecycle rules: last activity, deletion date, days left, « expire bientôt ».

A mailbox's last activity is the latest of its last login, last message sent, received and
read (maintained by `accounts`), or, when it was never used, the day it was finalised or
created. It is deleted `CADUCEE_INACTIVITY_DAYS` days after that (0: never).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import DateTimeField, F, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from caducee.accounts import activity
from caducee.accounts.models import Account, AccountState

# Days before a due date (expiry or deletion) when the user and the admins are warned.
WARNING_DAYS = (30, 7)
# Never deleted less than this many days after a warning, even when the platform starts
# counting (or the delay shrinks) with mailboxes already past their deletion date.
MIN_NOTICE_DAYS = 7
ACTIVITY_FIELDS = tuple(str(kind) for kind in activity.Activity)


def inactivity_days() -> int:
    return max(0, int(settings.INACTIVITY_DAYS))


def expiring_soon_days() -> int:
    return max(1, int(settings.EXPIRING_SOON_DAYS))


def today() -> date:
    return timezone.localdate()


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def last_activity(account: Account) -> datetime:
    """The latest activity, or the finalisation (else creation) of a mailbox never used."""
    base = account.finalised_at or account.created_at
    used = activity.last_activity(account)
    return base if used is None else max(base, used)


def deletion_date(account: Account) -> date | None:
    """The day the mailbox is deleted for inactivity; None when it never is (setting 0,
    exemption, already deleted)."""
    days = inactivity_days()
    if not days or account.inactivity_exempt_reason or account.is_deleted:
        return None
    return local_day(last_activity(account)) + timedelta(days=days)


def days_until(day: date | None, on: date | None = None) -> int | None:
    return None if day is None else (day - (on or today())).days


def with_last_activity(queryset: QuerySet[Account]) -> QuerySet[Account]:
    """Annotate `last_activity_at` in SQL (the same rule as `last_activity`)."""
    base = Coalesce(F("finalised_at"), F("created_at"), output_field=DateTimeField())
    parts = [Coalesce(F(name), base, output_field=DateTimeField()) for name in ACTIVITY_FIELDS]
    return queryset.annotate(last_activity_at=Greatest(base, *parts, output_field=DateTimeField()))


def inactivity_candidates(queryset: QuerySet[Account], within: int, on: date) -> QuerySet[Account]:
    """Mailboxes (not deleted, not exempt) whose deletion date is at most `within` days
    after `on`, with `last_activity_at` annotated; empty when deletion is switched off."""
    days = inactivity_days()
    if not days:
        return queryset.none()
    # Deleted on last-activity day + days <= on + within, i.e. last activity before the
    # start of the day after (on + within - days).
    limit = on + timedelta(days=within - days + 1)
    start = timezone.make_aware(datetime.combine(limit, datetime.min.time()))
    annotated = with_last_activity(queryset).exclude(state=AccountState.DELETED)
    return annotated.filter(inactivity_exempt_reason="").filter(
        **{"last_activity_at__lt": start}  # an annotation: django-stubs cannot see it
    )


def expiring(queryset: QuerySet[Account], within: int, on: date) -> QuerySet[Account]:
    """Open accounts whose « Date de péremption » is at most `within` days after `on`
    (dates already past included: the next run deactivates them)."""
    return queryset.exclude(state__in=AccountState.closed()).filter(
        expiry_date__isnull=False, expiry_date__lte=on + timedelta(days=within)
    )


def expiring_soon(queryset: QuerySet[Account], on: date | None = None) -> QuerySet[Account]:
    """The « Expire bientôt » filter of the account list."""
    return expiring(queryset, expiring_soon_days(), on or today())


def expiring_soon_by(on: date | None = None) -> date:
    """The last expiry date the « Expire bientôt » filter shows."""
    return (on or today()) + timedelta(days=expiring_soon_days())
