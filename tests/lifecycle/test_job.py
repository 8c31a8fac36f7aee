"""The scheduler's `lifecycle` job runs `caducee lifecycle run` for today."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.lifecycle.rules import today
from caducee.people.models import User
from caducee.scheduler import registry, runner
from caducee.scheduler.models import JobState
from caducee.structures.models import Structure
from tests import factories

pytestmark = pytest.mark.django_db


def _job() -> registry.Job:
    job = registry.get("lifecycle")
    assert job is not None
    return job


def test_the_job_is_registered_with_its_interval() -> None:
    assert _job().label.startswith("Cycle de vie des comptes")
    assert _job().disabled() == ""
    with override_settings(SCHEDULER_LIFECYCLE_MINUTES=15):
        assert _job().interval() == timedelta(minutes=15)


def test_the_job_deactivates_expired_accounts_today(structure_a: Structure, alice: User) -> None:
    account = factories.make_account(structure_a, "PER", "temporaire@example.org")
    Account.objects.filter(pk=account.pk).update(expiry_date=today())
    warned = factories.make_account(structure_a, "INT", "interim@example.org")
    Account.objects.filter(pk=warned.pk).update(expiry_date=today() + timedelta(days=7))

    assert runner.run_job(_job(), "test-holder")

    account.refresh_from_db()
    assert account.is_deactivated
    state = JobState.objects.get(name="lifecycle")
    assert "1 compte(s) désactivé(s)" in state.last_result
    assert "1 avertissement(s) de péremption" in state.last_result
    event = AuditEvent.objects.get(action="account.expire")
    assert event.actor_label == "system:lifecycle"
    assert runner.run_job(_job(), "test-holder")  # again: nothing more
    assert "0 compte(s) désactivé(s)" in JobState.objects.get(name="lifecycle").last_result
