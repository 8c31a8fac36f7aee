"""Login: refusals, failures, the second factor, completion, logout, unlock, mailbox switch."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from caducee.accounts import activity
from caducee.accounts.models import Account, AccountState, AccountType
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.email import send_on_commit
from caducee.core.errors import NotFound
from caducee.identity import browsers, codes, secret_box, sms, throttle, totp
from caducee.identity.mailboxes import mailbox_access
from caducee.identity.models import Security
from caducee.identity.operations._common import as_person, security_of
from caducee.identity.revocation import revoke_access
from caducee.monitoring import metrics
from caducee.people.models import User
from caducee.structures.access import admin_scope
from caducee.tasks.queues import URGENT

log = logging.getLogger("caducee.identity")


def shared_mailbox(email: str) -> Account | None:
    """The ORG or APP mailbox at this address, which no one logs in to directly."""
    return Account.objects.filter(
        email=email.strip().lower(), type__in=AccountType.shared()
    ).first()


def login_refusal(email: str, ip: str | None) -> throttle.Refusal | None:
    """Why a login attempt for this address from this IP must wait (None: it may proceed)."""
    return throttle.check(throttle.keys_for(email, ip))


def login_failed(ctx: Context, email: str, *, stage: str, user: User | None = None) -> None:
    """The login steps, on a wrong password or code; writes `identity.login_failed`
    (and `identity.lockout` when a limit is reached).

    Counts the failure per account and per IP; a locked account's owner gets an email.
    """
    address = email.strip().lower()
    metrics.login_failed(stage)
    with transaction.atomic():
        locked = throttle.fail(throttle.keys_for(address, ctx.ip))
        record_event(
            ctx,
            AuditAction.IDENTITY_LOGIN_FAILED,
            target=user,
            target_label=address,
            detail={"stage": stage, "email": address},
        )
        if locked:
            record_event(
                ctx,
                AuditAction.IDENTITY_LOCKOUT,
                target=user,
                target_label=address,
                detail={"keys": locked},
            )
            owner = user or User.objects.filter(email=address, is_active=True).first()
            if owner is not None and throttle.account_key(address) in locked:
                send_on_commit(
                    owner.email,
                    "lockout",
                    {"user": owner, "minutes": settings.LOCKOUT_MINUTES, "ip": ctx.ip or ""},
                )


def account_refusal(user: User) -> str:
    """Why a person with the right password may still not log in ('' when they may)."""
    account = Account.objects.filter(user=user).first()
    if (
        account is not None
        and account.state in AccountState.closed()
        and not user.admin_roles.exists()
        and not user.is_operator
    ):
        if account.is_deleted:
            return (
                "Votre compte a été supprimé pour inactivité. Adressez-vous à l'administrateur "
                "de votre structure."
            )
        return "Votre compte est désactivé. Adressez-vous à l'administrateur de votre structure."
    return ""


@dataclass(frozen=True)
class CodeDelivery:
    """Where a login code went: `channel` 'sms' (to the masked number) or 'email'.

    `failover`: why the SMS could not go, when the code went by email instead.
    """

    channel: str
    to: str
    failover: str = ""


def send_login_code(ctx: Context, user: User, *, by_sms: bool = True) -> CodeDelivery:
    """The login step, after the right password; writes `identity.code_sent`.

    Sends a fresh 6-digit code: by SMS to a person who chose it (when the platform has a
    gateway and `by_sms`), else by email — and by email too when the SMS gateway fails
    (down, timeout, an error answer). codes.TooSoon if the last code is under a minute old,
    whatever the channel (one rate limit for both).
    """
    code = codes.issue(user)
    security = security_of(user)
    failover = ""
    if by_sms and security.sms_enabled and sms.enabled():
        to = sms.masked(security.sms_number)
        try:
            sent = sms.send(security.sms_number, sms.login_text(code))
        except sms.Failed as exc:
            failover = exc.reason
            log.warning("login code SMS failed for user %s: %s", user.pk, exc.reason)
        else:
            detail = {"channel": "sms", "to": to, "backend": sent.backend}
            detail |= {"reference": sent.reference}
            detail |= {"gateway_id": sent.gateway_id} if sent.gateway_id else {}
            with transaction.atomic():
                record_event(
                    as_person(ctx, user), AuditAction.IDENTITY_CODE_SENT, target=user, detail=detail
                )
            return CodeDelivery("sms", to)
    with transaction.atomic():
        send_on_commit(
            user.email,
            "login_code",
            {
                "user": user,
                "code": code,
                "minutes": settings.LOGIN_CODE_MINUTES,
                "ip": ctx.ip or "",
            },
            queue=URGENT,  # within seconds, never behind an import's emails
        )
        detail = {"channel": "email"} | ({"sms_failed": failover} if failover else {})
        record_event(
            as_person(ctx, user), AuditAction.IDENTITY_CODE_SENT, target=user, detail=detail
        )
    return CodeDelivery("email", user.email, failover)


def verify_second_factor(ctx: Context, user: User, code: str, method: str) -> codes.Verdict:
    """The login step, after the right password; a wrong code writes `identity.login_failed`.

    Checks an emailed ('email'), SMS ('sms', the same login codes) or authenticator
    ('totp') code; failures are counted.
    """
    verdict = _verify_totp(user, code) if method == "totp" else codes.verify(user, code)
    if not verdict.ok:
        login_failed(ctx, user.email, stage=f"code_{method}", user=user)
    return verdict


def _verify_totp(user: User, code: str) -> codes.Verdict:
    security = security_of(user)
    if not security.totp_enabled:
        return codes.Verdict(ok=False, dead=True)
    secret = secret_box.unseal(security.totp_secret)
    step = totp.matching_step(secret, code, security.totp_last_step)
    if step is None:
        return codes.Verdict(ok=False, remaining=1)
    updated = Security.objects.filter(pk=security.pk, totp_last_step__lt=step).update(
        totp_last_step=step
    )
    return codes.Verdict(ok=updated == 1, remaining=1)


def complete_login(
    ctx: Context,
    user: User,
    method: str,
    *,
    remember: bool = False,
    browser_label: str = "",
    certificate: str = "",
    serial: str = "",
    provider_sub: str = "",
) -> str | None:
    """The login step, once both factors are proven; writes `identity.login`
    (and `identity.browser_remembered` with `remember`, then returns the cookie value).

    `certificate`: subject of the client certificate the trusted proxy verified, if any
    (caducee/core/client_address.py), kept in the audit event; `provider_sub`: the
    identity provider's `sub` after a Pro Santé Connect login (method `psc`); `serial`:
    that certificate's serial (CPS card, partner certificate; issue #17).
    """
    person = as_person(ctx, user)
    cookie: str | None = None
    detail = {"method": method} | ({"certificate": certificate} if certificate else {})
    detail |= {"serial": serial} if serial else {}
    detail |= {"sub": provider_sub} if provider_sub else {}
    with transaction.atomic():
        throttle.succeed(user.email)
        record_event(person, AuditAction.IDENTITY_LOGIN, target=user, detail=detail)
        activity.note(
            activity.Activity.LOGIN, Account.objects.filter(user=user).values_list("pk", flat=True)
        )
        if remember:
            browser, cookie = browsers.create(user, browser_label, ctx.ip)
            record_event(
                person,
                AuditAction.IDENTITY_BROWSER_REMEMBERED,
                target=user,
                detail={"browser": browser.pk, "label": browser.label},
            )
    return cookie


def record_logout(ctx: Context) -> None:
    """The logged-in person; writes `identity.logout`."""
    if ctx.user is not None:
        with transaction.atomic():
            record_event(ctx, AuditAction.IDENTITY_LOGOUT, target=ctx.user)


def logout_everywhere(ctx: Context, user: User) -> None:
    """The person themself or the server (CLI); writes `identity.logout_everywhere`.

    Ends every open session of this person and revokes the credentials they left behind:
    application passwords, API tokens and remembered browsers too — « Se déconnecter
    partout » is what a person does after losing a device (revocation.py).
    """
    with transaction.atomic():
        record_event(as_person(ctx, user), AuditAction.IDENTITY_LOGOUT_EVERYWHERE, target=user)
        revoke_access(ctx, user, "logout_everywhere")


def unlock_login(ctx: Context, email: str) -> bool:
    """The server (CLI), the operator, or an admin of a structure holding an account at this
    address; writes `identity.unlock`.

    Lifts the temporary lock of an account after failed logins; True if it was locked.
    """
    address = email.strip().lower()
    if not ctx.is_server:
        reachable = Account.objects.filter(
            Q(email=address) | Q(user__email=address), structure__in=admin_scope(ctx)
        )
        if not reachable.exists():
            raise NotFound("Compte introuvable.")
    with transaction.atomic():
        lifted = throttle.unlock(address)
        record_event(
            ctx, AuditAction.IDENTITY_UNLOCK, target_label=address, detail={"was_locked": lifted}
        )
    return lifted


def person_by_email(email: str) -> User:
    """The person at this address (server-side commands); NotFound otherwise."""
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        raise NotFound(f"Aucune personne n'a l'adresse {email.strip().lower()}.")
    return user


def switch_mailbox(ctx: Context, user: User, mailbox_id: int) -> Account:
    """The logged-in person, to a mailbox they may open; writes `identity.switch_mailbox`.

    Opens another mailbox this person may use (their own, a linked ORG/APP one, or one
    they are a delegate of: the event's detail then names the delegate right).
    """
    mailbox = Account.objects.filter(pk=mailbox_id).select_related("structure").first()
    access = mailbox_access(user, mailbox, delegated=True) if mailbox is not None else None
    if mailbox is None or access is None:
        raise NotFound("Boîte introuvable.")
    with transaction.atomic():
        record_event(
            Context(user=user, acting_as=mailbox, ip=ctx.ip, channel=ctx.channel),
            AuditAction.IDENTITY_SWITCH_MAILBOX,
            structure=mailbox.structure,
            target=mailbox,
            detail={"delegation": access.right} if access.right is not None else None,
        )
    return mailbox
