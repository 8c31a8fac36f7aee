"""The lease: one holder at a time, renewed by its holder, taken over once expired."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from caducee.scheduler import lease
from caducee.scheduler.models import Lease

pytestmark = pytest.mark.django_db


def test_first_takes_the_lease_second_is_refused() -> None:
    assert lease.acquire("host:1:a")
    assert not lease.acquire("host:2:b")
    assert Lease.objects.get().holder == "host:1:a"


def test_holder_renews() -> None:
    now = timezone.now()
    assert lease.acquire("host:1:a", now=now)
    first = Lease.objects.get().expires_at
    assert lease.acquire("host:1:a", now=now + timedelta(seconds=20))
    assert Lease.objects.get().expires_at > first


def test_dead_holder_is_taken_over_after_expiry() -> None:
    now = timezone.now()
    assert lease.acquire("host:1:dead", now=now)
    assert not lease.acquire("host:2:b", now=now + timedelta(seconds=59))
    assert lease.acquire("host:2:b", now=now + timedelta(seconds=61))
    assert Lease.objects.get().holder == "host:2:b"
    assert not lease.acquire("host:1:dead", now=now + timedelta(seconds=62))


def test_release_lets_another_take_it_at_once() -> None:
    assert lease.acquire("host:1:a")
    lease.release("host:1:a")
    assert lease.acquire("host:2:b")


@override_settings(SCHEDULER_LEASE_SECONDS=3600)
def test_duration_is_capped_at_one_minute() -> None:
    assert lease.duration() == timedelta(seconds=60)


def test_holder_ids_differ() -> None:
    first, second = lease.new_holder_id(), lease.new_holder_id()
    assert first != second and first.count(":") == 2
