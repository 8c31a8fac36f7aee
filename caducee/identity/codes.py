"""Login codes, by email or SMS: 6 digits, valid 10 minutes, 5 tries, a new one at most
once a minute.

Only a keyed hash (HMAC with the secret key and a per-code salt) is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from caducee.identity.models import CodePurpose, LoginCode
from caducee.people.models import User


class TooSoon(Exception):
    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = seconds


@dataclass(frozen=True)
class Verdict:
    ok: bool
    remaining: int = 0  # tries left on the current code after a wrong one
    dead: bool = False  # no usable code: expired, used up or never sent


def _digest(salt: str, code: str) -> str:
    key = str(settings.SECRET_KEY).encode()
    return hmac.new(key, f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def _hash(code: str) -> str:
    salt = secrets.token_hex(8)
    return f"{salt}${_digest(salt, code)}"


def _matches(stored: str, code: str) -> bool:
    salt, _, digest = stored.partition("$")
    return hmac.compare_digest(digest, _digest(salt, code))


# The same keyed hashing for other one-time codes (registration/proofs.py, issue #16).
keyed_hash = _hash
hash_matches = _matches


def latest(user: User, purpose: str = CodePurpose.LOGIN) -> LoginCode | None:
    return (
        LoginCode.objects.filter(user=user, purpose=purpose).order_by("-created_at", "-pk").first()
    )


def seconds_before_resend(
    user: User, now: datetime | None = None, purpose: str = CodePurpose.LOGIN
) -> int:
    now = now or timezone.now()
    last = latest(user, purpose)
    if last is None or last.used_at is not None:
        return 0  # after a successful login, the next login gets its code at once
    ready = last.created_at + timedelta(seconds=settings.LOGIN_CODE_RESEND_SECONDS)
    return max(0, int((ready - now).total_seconds() + 0.999))


def issue(user: User, now: datetime | None = None, purpose: str = CodePurpose.LOGIN) -> str:
    """A fresh code (older ones of that purpose stop working); TooSoon within the resend
    interval."""
    now = now or timezone.now()
    wait = seconds_before_resend(user, now, purpose)
    if wait:
        raise TooSoon(wait)
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        LoginCode.objects.filter(
            user=user, purpose=purpose, used_at__isnull=True, expires_at__gt=now
        ).update(expires_at=now)
        LoginCode.objects.create(
            user=user,
            purpose=purpose,
            code_hash=_hash(code),
            created_at=now,
            expires_at=now + timedelta(minutes=settings.LOGIN_CODE_MINUTES),
        )
    return code


def verify(
    user: User, code: str, now: datetime | None = None, purpose: str = CodePurpose.LOGIN
) -> Verdict:
    now = now or timezone.now()
    tries = int(settings.LOGIN_CODE_TRIES)
    current = (
        LoginCode.objects.filter(
            user=user, purpose=purpose, used_at__isnull=True, expires_at__gt=now, attempts__lt=tries
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if current is None:
        return Verdict(ok=False, dead=True)
    # Claim one try atomically before comparing (UPDATE … WHERE attempts < tries): parallel
    # guesses cannot evaluate more than `tries` codes, whatever they read before.
    claimed = LoginCode.objects.filter(
        pk=current.pk, used_at__isnull=True, expires_at__gt=now, attempts__lt=tries
    ).update(attempts=F("attempts") + 1)
    if not claimed:
        return Verdict(ok=False, dead=True)
    typed = "".join(ch for ch in code if ch.isdigit())
    if len(typed) == 6 and _matches(current.code_hash, typed):
        used = LoginCode.objects.filter(pk=current.pk, used_at__isnull=True).update(used_at=now)
        return Verdict(ok=used == 1, dead=used != 1)
    attempts = LoginCode.objects.filter(pk=current.pk).values_list("attempts", flat=True).first()
    remaining = tries - int(attempts or tries)
    return Verdict(ok=False, remaining=max(0, remaining), dead=remaining <= 0)
