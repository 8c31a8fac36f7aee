"""Codes proving an address that has no account yet (a liberal professional's registration).

The rules of the login codes (identity/codes.py): 6 digits, valid LOGIN_CODE_MINUTES, at
most LOGIN_CODE_TRIES tries, a new one at most once every LOGIN_CODE_RESEND_SECONDS; only
a keyed hash is stored. A nominative account proves itself with the login codes themselves.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from caducee.identity.codes import TooSoon, Verdict, hash_matches, keyed_hash
from caducee.registration.models import EmailProof


def seconds_before_resend(email: str) -> int:
    last = EmailProof.objects.filter(email=email).order_by("-created_at", "-pk").first()
    if last is None or last.used_at is not None:
        return 0
    ready = last.created_at + timedelta(seconds=settings.LOGIN_CODE_RESEND_SECONDS)
    return max(0, int((ready - timezone.now()).total_seconds() + 0.999))


def issue(email: str) -> str:
    """A fresh code for `email` (older ones stop working); TooSoon within the interval."""
    wait = seconds_before_resend(email)
    if wait:
        raise TooSoon(wait)
    now = timezone.now()
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        EmailProof.objects.filter(email=email, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now
        )
        EmailProof.objects.create(
            email=email,
            code_hash=keyed_hash(code),
            created_at=now,
            expires_at=now + timedelta(minutes=settings.LOGIN_CODE_MINUTES),
        )
    return code


def verify(email: str, code: str) -> Verdict:
    """Whether `code` is the current code of `email`; each try is claimed atomically."""
    now = timezone.now()
    tries = int(settings.LOGIN_CODE_TRIES)
    live = EmailProof.objects.filter(
        email=email, used_at__isnull=True, expires_at__gt=now, attempts__lt=tries
    )
    current = live.order_by("-created_at", "-pk").first()
    if current is None:
        return Verdict(ok=False, dead=True)
    if not live.filter(pk=current.pk).update(attempts=F("attempts") + 1):
        return Verdict(ok=False, dead=True)
    typed = "".join(ch for ch in code if ch.isdigit())
    if len(typed) == 6 and hash_matches(current.code_hash, typed):
        used = EmailProof.objects.filter(pk=current.pk, used_at__isnull=True).update(used_at=now)
        return Verdict(ok=used == 1, dead=used != 1)
    remaining = tries - current.attempts - 1
    return Verdict(ok=False, remaining=max(0, remaining), dead=remaining <= 0)
