"""IMAP login: application passwords, throttled and audited as SMTP AUTH is
(caducee.mail.smtp_auth), with their own keys (`imap-account:`, `imap-ip:`).

The login is the person's login, or `mailbox*login` to open a shared (ORG/APP) mailbox the
person is a connection account of (Dovecot's master-user syntax): the password is always
the person's own application password, and every action is the person's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from caducee.accounts.models import Account, AccountState
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.identity import throttle
from caducee.identity.mailboxes import mailbox_access, own_account
from caducee.identity.models import Throttle
from caducee.mail import addresses, operations
from caducee.monitoring import metrics
from caducee.people.models import User

log = logging.getLogger("caducee.mail.imap")

INVALID = (
    "[AUTHENTICATIONFAILED] Identifiant ou mot de passe d'application incorrect : "
    "l'identifiant est celui du compte, le mot de passe un mot de passe d'application"
)
DEACTIVATED = (
    "[AUTHENTICATIONFAILED] Compte desactive ou sans boite : adressez-vous a "
    "l'administrateur de votre structure"
)
NO_SUCH_MAILBOX = (
    "[AUTHORIZATIONFAILED] Boite partagee introuvable ou non rattachee a votre compte "
    "(forme : adresse-de-la-boite*votre-identifiant)"
)


def account_key(login: str) -> str:
    return f"imap-account:{login}"


def ip_key(ip: str) -> str:
    return f"imap-ip:{ip}"


def keys_for(login: str, ip: str | None) -> list[str]:
    return [account_key(login), *([ip_key(ip)] if ip else [])]


@dataclass(frozen=True)
class Verdict:
    """The outcome of one login: the person and the mailbox opened, else the NO text."""

    user: User | None
    mailbox: Account | None
    text: str


def find_mailbox(selector: str) -> Account | None:
    """A mailbox by its MSSanté address or its account email."""
    return addresses.local_account(selector)


def authenticate(raw_login: str, password: str, ip: str | None) -> Verdict:
    """Check a login (`login` or `mailbox*login`) and an application password."""
    selector, _, login = raw_login.strip().lower().rpartition("*")
    login = login[:254]
    keys = keys_for(login, ip)
    refusal = throttle.check(keys)
    if refusal is not None:
        log.warning("IMAP login refused while throttled: login=%r ip=%s", login, ip)
        return Verdict(None, None, "[UNAVAILABLE] " + _ascii(throttle.french_wait(refusal)))
    user = operations.check_app_password(login, password)
    if user is None:
        failed(login, ip, "password")
        return Verdict(None, None, INVALID)
    own = own_account(user)
    if own is None:
        failed(login, ip, "deactivated")
        return Verdict(None, None, DEACTIVATED)
    Throttle.objects.filter(key=account_key(login)).delete()
    if not selector:
        return Verdict(user, own, "")
    mailbox = find_mailbox(selector)
    if mailbox is None or mailbox_access(user, mailbox, delegated=False) is None:
        log.warning("IMAP login to a mailbox not linked: login=%r box=%r", login, selector)
        return Verdict(None, None, NO_SUCH_MAILBOX)
    return Verdict(user, mailbox, "")


def still_allowed(user: User, mailbox: Account) -> bool:
    """Checked before every command: the person's account is live and the mailbox open to
    them (a deactivation or a removed link cuts the session at the next command)."""
    fresh = User.objects.filter(pk=user.pk, is_active=True).first()
    if fresh is None:
        return False
    box = Account.objects.filter(pk=mailbox.pk).exclude(state__in=AccountState.closed()).first()
    return box is not None and mailbox_access(fresh, box, delegated=False) is not None


def failed(login: str, ip: str | None, stage: str) -> None:
    """Count one failure on the login and the address; audit it boundedly."""
    log.warning("IMAP login failed: login=%r ip=%s (%s)", login, ip, stage)
    metrics.login_failed("imap")
    ctx = Context(user=None, ip=ip, channel="imap", label="imap")
    with transaction.atomic():
        throttle.fail(keys_for(login, ip))
        first = Throttle.objects.filter(key=account_key(login), failures=1).exists()
        person = User.objects.filter(email=login).first()
        if first and person is not None:
            account = Account.objects.filter(user=person).first()
            record_event(
                ctx,
                AuditAction.MAIL_IMAP_LOGIN_FAILED,
                structure=account.structure if account is not None else None,
                target=person,
                target_label=login,
                detail={"login": login, "ip": ip or "", "stage": stage},
            )


def _ascii(text: str) -> str:
    import unicodedata

    flat = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return flat.replace("\r", " ").replace("\n", " ")
