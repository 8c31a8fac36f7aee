"""The login state machine, as functions over the session mapping (no HttpRequest).

A login has two steps. The password step (`password_step`) checks, in this order: the
throttle (a locked account or IP waits), the password, then — on a wrong one — counts the
failure and checks the lock again (this failure may be the one that locks). On success,
`begin` stores a *pending login* in the session and names the second factor: a remembered
browser, else the authenticator app, else a code sent by SMS (to a person who chose it, on
a platform with an SMS gateway), else a code sent by mail. The pending login lives
`pending_seconds()` (twice the code's lifetime). The code step (`code_step`) follows the same
throttle order. `landing` finally chooses where the person goes: the page they asked for,
their mailbox or the console, and the CGU page first when a newer version awaits them.

The views keep only what is HTTP: reading the form, `login()`, cookies and `render`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from caducee.core.context import Context
from caducee.identity import codes, throttle
from caducee.identity import operations as ops
from caducee.identity.mailboxes import SESSION_KEY, default_mailbox
from caducee.people.models import User
from caducee.structures.access import is_admin

Session = MutableMapping[str, Any]

PENDING = "caducee_pending_login"
CGU_PENDING = "caducee_cgu_pending"  # set at login when a newer CGU version awaits acceptance
DEFAULT_BACKEND = "django.contrib.auth.backends.ModelBackend"

TRUSTED_BROWSER = "trusted_browser"
TOTP = "totp"
SMS = "sms"
EMAIL = "email"

GENERIC_LOGIN_ERROR = "Adresse mail ou mot de passe incorrect."
TOTP_NO_EMAIL = (
    "Votre compte est protégé par une application d'authentification : le code par mail ne "
    "la remplace pas. Saisissez le code affiché par l'application ; si vous l'avez perdue, "
    "demandez à l'administrateur de votre structure de réinitialiser votre second facteur."
)
SESSION_END = {
    "idle": "Votre session a été fermée après une période d'inactivité. Reconnectez-vous.",
    "max_age": "Votre session a atteint sa durée maximale. Reconnectez-vous.",
    "revoked": "Votre session a été fermée (déconnexion de tous les appareils). Reconnectez-vous.",
}


@dataclass(frozen=True)
class Step:
    """The outcome of a login step: the person when it passed, else a French error."""

    user: User | None = None
    error: str = ""
    status: int = 200


def shared_mailbox_refusal(email: str) -> str:
    """What a person reads after trying to log in to an ORG/APP mailbox directly."""
    return (
        f"{email} est une boîte partagée (organisationnelle ou applicative) : on "
        "n'y entre pas directement. Connectez-vous avec votre propre compte "
        "nominatif, puis choisissez cette boîte avec « Changer de compte »."
    )


def password_step(ctx: Context, email: str, authenticate: Callable[[], object]) -> Step:
    """Throttle check → `authenticate()` → count a failure → re-check the lock."""
    refusal = ops.login_refusal(email, ctx.ip)
    if refusal is not None:
        return Step(error=throttle.french_wait(refusal), status=429)
    user = authenticate()
    if not isinstance(user, User):
        ops.login_failed(ctx, email, stage="password")
        refusal = ops.login_refusal(email, ctx.ip)
        if refusal is not None and refusal.locked:
            return Step(error=throttle.french_wait(refusal), status=429)
        if ops.shared_mailbox(email) is not None:
            return Step(error=shared_mailbox_refusal(email))
        return Step(error=GENERIC_LOGIN_ERROR)
    if refused := ops.account_refusal(user):
        return Step(error=refused)
    return Step(user=user)


def second_factor(*, trusted_browser: bool, totp_enabled: bool, sms_enabled: bool = False) -> str:
    """The second factor asked: a remembered browser, else the app, else a code by SMS
    (`sms_enabled`: the person chose it and the platform sends SMS), else a mailed code."""
    if trusted_browser:
        return TRUSTED_BROWSER
    if totp_enabled:
        return TOTP
    return SMS if sms_enabled else EMAIL


def pending_seconds() -> int:
    """How long a pending login waits for its second factor."""
    return int(settings.LOGIN_CODE_MINUTES) * 60 * 2


def begin(
    session: Session, user: User, next_url: str, method: str, *, now: float | None = None
) -> None:
    """Store the pending login of a person who gave the right password."""
    data: dict[str, Any] = {
        "user": user.pk,
        "backend": getattr(user, "backend", DEFAULT_BACKEND),
        "next": next_url,
    }
    if method != TRUSTED_BROWSER:
        data |= {"method": method, "at": time.time() if now is None else now}
    session[PENDING] = data


def mark_reused(session: Session) -> None:
    """The code sent less than a minute ago is still valid: the page says so."""
    session[PENDING] = {**session[PENDING], "reused": True}


def restart_with_email(session: Session, *, now: float | None = None) -> None:
    """A new code by mail was asked for: the pending login starts again from now."""
    restart(session, EMAIL, now=now)


def restart(session: Session, method: str, *, now: float | None = None) -> None:
    """A new code was asked for (by SMS or mail): the pending login starts again from now."""
    data = dict(session[PENDING])
    data["method"] = method
    data["at"] = time.time() if now is None else now
    for key in ("reused", "to", "failover"):
        data.pop(key, None)
    session[PENDING] = data


def delivered(session: Session, channel: str, to: str, *, failover: bool) -> None:
    """Where the code went: the code step checks it as `channel`'s code, and the page says
    where to look (with `failover`, that the SMS failed and the code came by mail)."""
    session[PENDING] = {**session[PENDING], "method": channel, "to": to, "failover": failover}


def pending(session: Session, *, now: float | None = None) -> tuple[User, dict[str, Any]] | None:
    """The person of the pending login and its record; None (and forgotten) once expired."""
    data = session.get(PENDING)
    if not isinstance(data, dict):
        return None
    moment = time.time() if now is None else now
    if moment - float(data.get("at", 0)) > pending_seconds():
        session.pop(PENDING, None)
        return None
    user = User.objects.filter(pk=int(data.get("user") or 0), is_active=True).first()
    return (user, data) if user is not None else None


def code_step(ctx: Context, user: User, code: str, method: str) -> Step:
    """Throttle check → verify the code (a wrong one is counted) → re-check the lock."""
    refusal = ops.login_refusal(user.email, ctx.ip)
    if refusal is not None:
        return Step(error=throttle.french_wait(refusal), status=429)
    verdict = ops.verify_second_factor(ctx, user, code, method)
    if verdict.ok:
        return Step(user=user)
    refusal = ops.login_refusal(user.email, ctx.ip)
    if refusal is not None and refusal.locked:
        return Step(error=throttle.french_wait(refusal), status=429)
    return Step(error=code_error(method, verdict))


def code_error(method: str, verdict: codes.Verdict) -> str:
    """What a person reads after a wrong code."""
    if method == TOTP:
        return "Code incorrect : saisissez le code affiché en ce moment par votre application."
    if verdict.dead:
        return (
            "Ce code n'est plus valable (expiré, déjà utilisé ou trop d'essais). "
            "Cliquez sur « Recevoir un nouveau code »."
        )
    plural = "s" if verdict.remaining > 1 else ""
    return f"Code incorrect. Il vous reste {verdict.remaining} essai{plural}."


def finish(session: Session) -> dict[str, Any]:
    """Take the pending login out of the session (the person is about to be logged in)."""
    data = session.pop(PENDING, {})
    return data if isinstance(data, dict) else {}


def landing(session: Session, user: User, next_url: str) -> str:
    """Where a person goes once logged in; opens their default mailbox in the session.

    `next_url` (already checked to stay on this site) wins; else the console for an admin
    without a mailbox, else their mailbox page. When a newer CGU version awaits acceptance,
    the CGU page comes first, then that target.
    """
    mailbox = default_mailbox(user)
    session[SESSION_KEY] = mailbox.pk if mailbox is not None else None
    target = next_url or reverse(
        "console:home" if mailbox is None and is_admin(user) else "identity:home"
    )
    if ops.cgu_to_accept_again(user):
        session[CGU_PENDING] = True
        target = f"{reverse('identity:cgu')}?{urlencode({'next': target})}"
    return target
