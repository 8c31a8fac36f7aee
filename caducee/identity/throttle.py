"""Brute-force protection: growing delays, then a temporary lock, per account and per IP.

Nothing sleeps: a key that failed too often is refused until its `next_allowed_at`.
The account key is built from the typed address, so an unknown address is throttled
exactly like a real one (the answer never tells whether an account exists).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from caducee.identity.models import Throttle


@dataclass(frozen=True)
class Refusal:
    seconds: int  # how long before the next attempt is allowed
    locked: bool  # a lock (threshold reached) rather than a short delay


def account_key(email: str) -> str:
    return f"account:{email.strip().lower()}"


def ip_key(ip: str | None) -> str | None:
    return f"ip:{ip}" if ip else None


def keys_for(email: str, ip: str | None) -> list[str]:
    return [k for k in (account_key(email), ip_key(ip)) if k]


def _threshold(key: str) -> int:
    return int(
        settings.LOCKOUT_IP_THRESHOLD
        if key.startswith(("ip:", "smtp-ip:", "imap-ip:"))  # smtp_auth, imap.auth
        else settings.LOCKOUT_THRESHOLD
    )


def delay_after(failures: int, threshold: int) -> tuple[timedelta, bool]:
    """The wait imposed after `failures` consecutive failures, and whether it is a lock."""
    if failures >= threshold:
        return timedelta(minutes=settings.LOCKOUT_MINUTES), True
    free = int(settings.LOCKOUT_FREE_FAILURES)
    if failures <= free:
        return timedelta(0), False
    seconds = min(2 ** (failures - free - 1), int(settings.LOCKOUT_MAX_DELAY_SECONDS))
    return timedelta(seconds=seconds), False


def check(keys: list[str], now: datetime | None = None) -> Refusal | None:
    """A refusal if any key must still wait, else None."""
    now = now or timezone.now()
    worst: Refusal | None = None
    for row in Throttle.objects.filter(key__in=keys, next_allowed_at__gt=now):
        assert row.next_allowed_at is not None
        seconds = max(1, int((row.next_allowed_at - now).total_seconds() + 0.999))
        locked = row.failures >= _threshold(row.key)
        if worst is None or seconds > worst.seconds:
            worst = Refusal(seconds, locked)
    return worst


def fail(keys: list[str], now: datetime | None = None) -> list[str]:
    """Count one failure on each key; returns the keys that became locked."""
    now = now or timezone.now()
    window = timedelta(minutes=settings.LOCKOUT_MINUTES)
    locked: list[str] = []
    with transaction.atomic():
        for key in keys:
            row, _ = Throttle.objects.select_for_update().get_or_create(key=key)
            if row.last_failure_at is not None and now - row.last_failure_at > window:
                row.failures = 0  # a quiet period forgives older failures
            row.failures += 1
            row.last_failure_at = now
            wait, is_lock = delay_after(row.failures, _threshold(key))
            row.next_allowed_at = now + wait if wait else None
            row.save()
            if is_lock and row.failures == _threshold(key):
                locked.append(key)
    return locked


def over_limit(key: str, limit: int, now: datetime | None = None) -> bool:
    """Count one request on `key`; True once more than `limit` came within the window."""
    return count_request(key, now) > limit


def count_request(key: str, now: datetime | None = None) -> int:
    """Count one request on `key`; returns how many came within the current window."""
    now = now or timezone.now()
    window = timedelta(minutes=settings.LOCKOUT_MINUTES)
    with transaction.atomic():
        row, _ = Throttle.objects.select_for_update().get_or_create(key=key)
        if row.last_failure_at is None or now - row.last_failure_at > window:
            row.failures = 0
            row.last_failure_at = now  # the window starts at the first request
        row.failures += 1
        row.save(update_fields=["failures", "last_failure_at"])
    return int(row.failures)


def succeed(email: str) -> None:
    """A successful login clears the account's counter (not the IP's: shared by many)."""
    Throttle.objects.filter(key=account_key(email)).delete()


def unlock(email: str) -> bool:
    return Throttle.objects.filter(key=account_key(email)).delete()[0] > 0


def french_wait(refusal: Refusal) -> str:
    if refusal.seconds >= 60:
        minutes = (refusal.seconds + 59) // 60
        amount = f"{minutes} minute{'s' if minutes > 1 else ''}"
    else:
        amount = f"{refusal.seconds} seconde{'s' if refusal.seconds > 1 else ''}"
    if refusal.locked:
        return (
            "Trop de tentatives infructueuses : la connexion est bloquée temporairement. "
            f"Réessayez dans {amount}, ou demandez à l'administrateur de votre structure."
        )
    return f"Trop de tentatives : patientez {amount} avant de réessayer."
