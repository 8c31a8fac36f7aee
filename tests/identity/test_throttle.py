"""Brute-force rules: free tries, growing delays, then a temporary lock; no sleeping."""

from __future__ import annotations

from datetime import timedelta
from typing import Any as SettingsWrapper

import pytest
from django.utils import timezone

from caducee.identity import throttle
from caducee.identity.models import Throttle


@pytest.fixture
def rules(settings: SettingsWrapper) -> SettingsWrapper:
    settings.LOCKOUT_FREE_FAILURES = 3
    settings.LOCKOUT_THRESHOLD = 6
    settings.LOCKOUT_IP_THRESHOLD = 20
    settings.LOCKOUT_MINUTES = 15
    settings.LOCKOUT_MAX_DELAY_SECONDS = 60
    return settings


def test_delays_grow_then_lock(rules: SettingsWrapper) -> None:
    waits = [throttle.delay_after(n, 6) for n in range(1, 7)]
    assert [w.total_seconds() for w, _ in waits] == [0, 0, 0, 1, 2, 15 * 60]
    assert [locked for _, locked in waits] == [False] * 5 + [True]


def test_delays_are_capped(rules: SettingsWrapper) -> None:
    wait, locked = throttle.delay_after(15, 100)
    assert wait == timedelta(seconds=60) and not locked


@pytest.mark.django_db
def test_it_refuses_until_next_allowed_at(rules: SettingsWrapper) -> None:
    keys = throttle.keys_for("x@example.org", "10.0.0.1")
    now = timezone.now()
    for _ in range(4):
        throttle.fail(keys, now)
    refusal = throttle.check(keys, now)
    assert refusal is not None and refusal.seconds == 1 and not refusal.locked
    assert throttle.check(keys, now + timedelta(seconds=2)) is None


@pytest.mark.django_db
def test_it_locks_the_account_at_the_threshold(rules: SettingsWrapper) -> None:
    keys = throttle.keys_for("x@example.org", "10.0.0.1")
    now = timezone.now()
    locked: list[str] = []
    for _ in range(6):
        locked += throttle.fail(keys, now)
    assert locked == ["account:x@example.org"]
    refusal = throttle.check(keys, now + timedelta(minutes=14))
    assert refusal is not None and refusal.locked
    assert throttle.check(keys, now + timedelta(minutes=15, seconds=1)) is None


@pytest.mark.django_db
def test_unknown_and_known_addresses_are_throttled_alike(rules: SettingsWrapper) -> None:
    now = timezone.now()
    for address in ("nobody@example.org", "somebody@example.org"):
        for _ in range(6):
            throttle.fail(throttle.keys_for(address, None), now)
    assert throttle.check([throttle.account_key("nobody@example.org")], now) == throttle.check(
        [throttle.account_key("somebody@example.org")], now
    )


@pytest.mark.django_db
def test_the_ip_counts_failures_on_every_account(rules: SettingsWrapper) -> None:
    now = timezone.now()
    for n in range(20):
        throttle.fail(throttle.keys_for(f"u{n}@example.org", "10.0.0.9"), now)
    refusal = throttle.check(throttle.keys_for("fresh@example.org", "10.0.0.9"), now)
    assert refusal is not None and refusal.locked


@pytest.mark.django_db
def test_a_quiet_period_forgives_older_failures(rules: SettingsWrapper) -> None:
    keys = [throttle.account_key("x@example.org")]
    start = timezone.now()
    for _ in range(5):
        throttle.fail(keys, start)
    throttle.fail(keys, start + timedelta(minutes=16))
    assert Throttle.objects.get(key=keys[0]).failures == 1


@pytest.mark.django_db
def test_success_and_unlock_clear_the_account(rules: SettingsWrapper) -> None:
    now = timezone.now()
    for _ in range(6):
        throttle.fail(throttle.keys_for("x@example.org", None), now)
    assert throttle.unlock("x@example.org")
    assert throttle.check([throttle.account_key("x@example.org")], now) is None


def test_messages_are_french() -> None:
    assert "2 minutes" in throttle.french_wait(throttle.Refusal(90, True))
    assert "patientez 4 secondes" in throttle.french_wait(throttle.Refusal(4, False))
