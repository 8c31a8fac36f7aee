"""SMTP AUTH of the submission service: application passwords, throttled and audited.

The protocol part (`read_plain`, `read_login`) runs on the listener's event loop and only
reads the client's lines. The decision (`authenticate`) reads and writes the database, so
the submission handler runs it in a worker thread, like every other database call of the
SMTP services: Django refuses database access from an event loop's thread.

Failures are throttled as the web login is (caducee.identity.throttle), with their own keys
so that a mail client retrying an old password never blocks its owner's web login:
`smtp-account:<login>` and `smtp-ip:<address>`. A refused attempt answers 535; an attempt
while a key must wait answers 454 and is not checked at all. Each failure is logged; the
audit journal gets at most one « failed SMTP login » event per person per lock window (the
first failure of the window) and one event when a key becomes locked, so that a client
hammering the port cannot fill the journal.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, LoginPassword, Session
from django.conf import settings
from django.db import transaction

from caducee.accounts.models import Account, AccountState
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.identity import throttle
from caducee.identity.models import Throttle
from caducee.mail import operations
from caducee.monitoring import metrics
from caducee.people.models import User

log = logging.getLogger("caducee.mail.smtp")

MECHANISMS = ("PLAIN", "LOGIN")
SUCCESS = "235 2.7.0 Authentification reussie"
INVALID = (
    "535 5.7.8 Identifiant ou mot de passe d'application incorrect : l'identifiant est "
    "l'adresse mail du compte, le mot de passe est un mot de passe d'application"
)
DEACTIVATED = "535 5.7.8 Compte desactive : adressez-vous a l'administrateur de votre structure"
SENDING_DEACTIVATED = (
    "550 5.7.1 Compte desactive : adressez-vous a l'administrateur de votre structure"
)
TEMPORARY = "454 4.7.0 Erreur temporaire d'authentification, reessayez plus tard"
BAD_SYNTAX = "501 5.5.2 Donnees d'authentification illisibles"


def account_key(login: str) -> str:
    return f"smtp-account:{login}"


def ip_key(ip: str) -> str:
    return f"smtp-ip:{ip}"


def keys_for(login: str, ip: str | None) -> list[str]:
    return [account_key(login), *([ip_key(ip)] if ip else [])]


def throttled_reply(refusal: throttle.Refusal) -> str:
    if refusal.seconds >= 60:
        wait = f"{(refusal.seconds + 59) // 60} min"
    else:
        wait = f"{refusal.seconds} s"
    if refusal.locked:
        return (
            "454 4.7.0 Trop de tentatives infructueuses : authentification bloquee, "
            f"reessayez dans {wait}"
        )
    return f"454 4.7.0 Trop de tentatives : patientez {wait} avant de reessayer"


@dataclass(frozen=True)
class Verdict:
    """The outcome of one AUTH: the person when accepted, and the SMTP reply."""

    user: User | None
    reply: str


def own_account(user: User) -> Account | None:
    return Account.objects.filter(user=user).first()


def is_deactivated(user: User) -> bool:
    """A person whose own account is deactivated sends nothing, even with a valid password."""
    account = own_account(user)
    return account is not None and account.state in AccountState.closed()


def authenticate(login: str, password: str, ip: str | None, mechanism: str) -> Verdict:
    """Check an (account email, application password) pair received by SMTP AUTH."""
    login = login.strip().lower()[:254]
    keys = keys_for(login, ip)
    refusal = throttle.check(keys)
    if refusal is not None:
        log.warning("SMTP AUTH refused while throttled: login=%r ip=%s", login, ip)
        return Verdict(None, throttled_reply(refusal))
    user = operations.check_app_password(login, password)
    if user is not None and not is_deactivated(user):
        Throttle.objects.filter(key=account_key(login)).delete()
        return Verdict(user, SUCCESS)
    stage = "password" if user is None else "deactivated"
    failed(login, ip, mechanism, stage)
    return Verdict(None, INVALID if user is None else DEACTIVATED)


def failed(login: str, ip: str | None, mechanism: str, stage: str) -> None:
    """Count one failure on the login and the address; audit it boundedly."""
    log.warning("SMTP AUTH failed: login=%r ip=%s mechanism=%s (%s)", login, ip, mechanism, stage)
    metrics.login_failed("smtp")
    ctx = Context(user=None, ip=ip, channel="smtp", label="smtp")
    with transaction.atomic():
        locked = throttle.fail(keys_for(login, ip))
        first = Throttle.objects.filter(key=account_key(login), failures=1).exists()
        person = User.objects.filter(email=login).first()
        account = own_account(person) if person is not None else None
        structure = account.structure if account is not None else None
        detail = {"login": login, "ip": ip or "", "mechanism": mechanism, "stage": stage}
        if first and person is not None:
            # Once per person per window: later failures are only logged and counted.
            record_event(
                ctx,
                AuditAction.MAIL_SMTP_LOGIN_FAILED,
                structure=structure,
                target=person,
                target_label=login,
                detail=detail,
            )
        if locked:
            record_event(
                ctx,
                AuditAction.MAIL_SMTP_LOCKOUT,
                structure=structure if account_key(login) in locked else None,
                target=person if account_key(login) in locked else None,
                target_label=login,
                detail={**detail, "keys": locked, "minutes": settings.LOCKOUT_MINUTES},
            )


def peer_ip(session: Session) -> str | None:
    peer = session.peer
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return None


# --- reading the mechanisms on the event loop (no database here) -------------------------


async def read_plain(server: SMTP, args: list[str]) -> LoginPassword | None:
    """AUTH PLAIN, with the credentials on the command line or after a 334 challenge.

    None when the exchange failed; the client then already has its answer."""
    if len(args) == 1:
        blob = await server.challenge_auth("")
        if blob is MISSING:
            return None
    else:
        try:
            blob = base64.b64decode(args[1].encode(), validate=True)
        except (binascii.Error, ValueError):
            await server.push(BAD_SYNTAX)
            return None
    assert isinstance(blob, bytes)
    parts = blob.split(b"\x00")
    if len(parts) != 3:  # authorisation identity (ignored), login, password
        await server.push(BAD_SYNTAX)
        return None
    return LoginPassword(parts[1], parts[2])


async def read_login(server: SMTP, args: list[str]) -> LoginPassword | None:
    """AUTH LOGIN: the login on the command line or after a challenge, then the password."""
    if len(args) == 1:
        login = await server.challenge_auth(server.AuthLoginUsernameChallenge)
        if login is MISSING:
            return None
    else:
        try:
            login = base64.b64decode(args[1].encode(), validate=True)
        except (binascii.Error, ValueError):
            await server.push(BAD_SYNTAX)
            return None
    password = await server.challenge_auth(server.AuthLoginPasswordChallenge)
    if password is MISSING:
        return None
    assert isinstance(login, bytes) and isinstance(password, bytes)
    return LoginPassword(login, password)


def result(verdict: Verdict) -> AuthResult:
    """The aiosmtpd answer: on success the session's `auth_data` is the person."""
    if verdict.user is not None:
        return AuthResult(success=True, auth_data=verdict.user, message=verdict.reply)
    return AuthResult(success=False, handled=False, message=verdict.reply)


def handled_failure() -> AuthResult:
    """The exchange already failed and was answered (bad base64, '*' abort)."""
    return AuthResult(success=False, handled=True)


def other_mechanisms(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: object
) -> AuthResult:
    """aiosmtpd's authenticator, for any mechanism not read here: always refused."""
    return AuthResult(success=False, handled=False, message=INVALID)
