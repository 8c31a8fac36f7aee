"""The daily snapshot of accounts by state and type (scheduler job `activity_snapshot`).

Each run rewrites the current week's rows of every structure (`AccountCount`): a week
keeps the counts of its last run. Two statements whatever the number of accounts: one
GROUP BY over the accounts, one delete and a multi-row insert in one transaction.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.scheduler.registry import Job, register
from caducee.stats.models import AccountCount

INTERVAL = timedelta(hours=24)


def week_of(day: date) -> date:
    """The Monday starting the week of `day`."""
    return day - timedelta(days=day.weekday())


def take_snapshot(now: datetime | None = None) -> int:
    """Rewrite the current week's counts of every structure; return the rows written."""
    moment = now or timezone.now()
    week = week_of(timezone.localdate(moment))
    counts = (
        Account.objects.values("structure_id", "state", "type").annotate(n=Count("pk")).order_by()
    )
    rows = [
        AccountCount(
            structure_id=c["structure_id"],
            week=week,
            state=c["state"],
            type=c["type"],
            count=c["n"],
            taken_at=moment,
        )
        for c in counts
    ]
    with transaction.atomic():
        AccountCount.objects.filter(week=week).delete()
        AccountCount.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def run() -> str:
    return f"Relevé des comptes par état et type : {take_snapshot()} ligne(s)."


def register_job() -> None:
    register(
        Job(
            "activity_snapshot", "Relevé hebdomadaire des comptes (Activité)", lambda: INTERVAL, run
        )
    )
