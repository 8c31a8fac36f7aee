"""The weekly snapshot of accounts by state and type (scheduler job `activity_snapshot`)."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from caducee.scheduler import registry
from caducee.stats import snapshots
from caducee.stats.models import AccountCount
from caducee.structures.models import Structure
from tests import factories


def test_week_of_is_the_monday() -> None:
    assert snapshots.week_of(date(2026, 12, 7)) == date(2026, 12, 7)  # a Monday
    assert snapshots.week_of(date(2026, 12, 13)) == date(2026, 12, 7)  # its Sunday


def test_each_run_rewrites_the_current_week_only(structure_a: Structure) -> None:
    factories.make_account(structure_a, "MED")
    last_week = timezone.now() - timedelta(weeks=1)
    assert snapshots.take_snapshot(last_week) == 1
    factories.make_account(structure_a, "MED")
    snapshots.take_snapshot()
    snapshots.take_snapshot()  # the same week again: rewritten, not added
    counts = {c.week: c.count for c in AccountCount.objects.filter(structure=structure_a)}
    assert counts == {
        snapshots.week_of(timezone.localdate(last_week)): 1,
        snapshots.week_of(timezone.localdate()): 2,
    }


def test_the_job_is_registered_and_says_what_it_did(structure_a: Structure) -> None:
    job = registry.get("activity_snapshot")
    assert job is not None and job.interval() == timedelta(hours=24)
    factories.make_account(structure_a, "MED")
    assert job.run() == "Relevé des comptes par état et type : 1 ligne(s)."
