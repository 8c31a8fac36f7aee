"""Authenticator-app codes (TOTP, RFC 6238) with pyotp, refusing the replay of a used code."""

from __future__ import annotations

import time

import pyotp

ISSUER = "Caducée"


def new_secret() -> str:
    return str(pyotp.random_base32())


def uri(secret: str, email: str) -> str:
    return str(pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER))


def matching_step(secret: str, code: str, last_step: int, at: float | None = None) -> int | None:
    """The time step the code belongs to (±1 step of clock drift), if newer than last_step."""
    typed = "".join(ch for ch in code if ch.isdigit())
    if len(typed) != 6 or not secret:
        return None
    totp = pyotp.TOTP(secret)
    now = at if at is not None else time.time()
    step = int(now // totp.interval)
    for candidate in (step, step - 1, step + 1):
        if candidate > last_step and totp.at(candidate * totp.interval) == typed:
            return candidate
    return None
