"""Passwords: the rules, the first operator, password links, forgotten and changed passwords."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from caducee.accounts.models import Account, AccountState
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.email import send_on_commit
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.identity import links, throttle
from caducee.identity.models import ActionLink, LinkPurpose
from caducee.identity.operations._common import as_person, check_password_rules
from caducee.identity.operations.finalisation import send_invitation
from caducee.identity.revocation import revoke_access
from caducee.people.models import User
from caducee.referentials import cleaning

# --- first operator -----------------------------------------------------------------------


def create_first_operator(
    ctx: Context,
    token: str,
    email: str,
    first_name: str,
    last_name: str,
    password: str,
    confirm: str,
) -> User:
    """Whoever holds the setup link, while no operator exists; writes `platform.setup`."""
    link = links.find_valid(LinkPurpose.SETUP, token)
    if link is None or User.objects.filter(is_operator=True).exists():
        raise NotFound("Ce lien de première installation n'est plus valable.")
    address = email.strip().lower()
    problems = check_password_rules(password, confirm, User(email=address))
    try:
        address = cleaning.email(email).value
    except cleaning.Rejected as rejected:
        problems.append(rejected.problem("email"))
    if not last_name.strip() or not first_name.strip():
        problems.append(Problem("last_name", "required", "Indiquez vos nom et prénom."))
    if problems:
        raise Invalid("Le compte opérateur n'a pas été créé.", problems)
    with transaction.atomic():
        if not links.consume(link):
            raise NotFound("Ce lien de première installation a déjà servi.")
        user = User.objects.filter(email=address).first() or User(email=address)
        user.first_name = first_name.strip()
        user.last_name = last_name.strip()
        user.is_operator = True
        user.set_password(password)
        user.save()
        record_event(as_person(ctx, user), AuditAction.PLATFORM_SETUP, target=user)
    return user


# --- single-use password links ------------------------------------------------------------

# purpose → (dead link, link already used, password refused)
_LINK_TEXTS: dict[str, tuple[str, str, str]] = {
    LinkPurpose.RESET: (
        "Ce lien de réinitialisation n'est plus valable.",
        "Ce lien de réinitialisation a déjà servi.",
        "Le mot de passe n'a pas été changé.",
    ),
    LinkPurpose.SET_PASSWORD: (
        "Ce lien n'est plus valable.",
        "Ce lien a déjà servi.",
        "Le mot de passe n'a pas été enregistré.",
    ),
}


def _consume_password_link(
    purpose: str, token: str, password: str, confirm: str, *, activate: bool = False
) -> User:
    """Check the link and the new password, use the link up and set the password.

    Runs inside the caller's transaction (which records the audit event): NotFound for a
    dead or already used link, Invalid for a refused password. `activate` also makes the
    person active (a link an admin issued to a person who never logged in).
    """
    dead, used, refused = _LINK_TEXTS[purpose]
    link = links.find_valid(purpose, token)
    if link is None or link.user is None:
        raise NotFound(dead)
    user = link.user
    problems = check_password_rules(password, confirm, user)
    if problems:
        raise Invalid(refused, problems)
    if not links.consume(link):
        raise NotFound(used)
    user.set_password(password)
    if activate:
        user.is_active = True
    user.save(update_fields=["password", "is_active"] if activate else ["password"])
    return user


def issue_password_link(ctx: Context, user: User) -> str:
    """An admin or the server, for this person; writes `identity.password_link`. Returns the URL.

    A single-use link for the person to choose a password.
    """
    with transaction.atomic():
        token = links.issue(LinkPurpose.SET_PASSWORD, user)
        record_event(ctx, AuditAction.IDENTITY_PASSWORD_LINK, target=user)
    return links.base_url() + reverse("identity:set_password", args=[token])


def set_password_with_link(ctx: Context, token: str, password: str, confirm: str) -> User:
    """Whoever holds a password link; writes `identity.password_set`."""
    with transaction.atomic():
        user = _consume_password_link(
            LinkPurpose.SET_PASSWORD, token, password, confirm, activate=True
        )
        record_event(as_person(ctx, user), AuditAction.IDENTITY_PASSWORD_SET, target=user)
    return user


# --- forgotten and changed passwords ------------------------------------------------------


def request_password_reset(ctx: Context, email: str) -> None:
    """Anyone (not logged in); writes `identity.password_reset_requested` (bounded).

    Emails a reset link (or, to a pre-registered user, a fresh finalisation link).
    The caller shows the same answer whatever happens: it never reveals if the address exists.
    Requests are limited per IP address (RESET_REQUESTS_PER_IP in the throttle window).
    Audit stays bounded: each request within the limit is audited, then only the first
    refused one of the window (detail `limited: true`); later refused requests from that
    address write nothing until the window ends.
    """
    address = email.strip().lower()
    user = User.objects.filter(email=address, is_active=True).first()
    account = (
        Account.objects.filter(user=user).select_related("structure").first()
        if user is not None
        else None
    )
    limit = int(settings.RESET_REQUESTS_PER_IP)
    with transaction.atomic():
        count = throttle.count_request(f"reset-ip:{ctx.ip}") if ctx.ip else 0
        limited = count > limit
        if not limited or count == limit + 1:
            record_event(
                ctx,
                AuditAction.IDENTITY_PASSWORD_RESET_REQUESTED,
                structure=account.structure if account is not None else None,
                target=user,
                target_label=address,
                detail={"known": user is not None, "limited": limited},
            )
        if user is None or limited:
            return
        recent = timezone.now() - timedelta(seconds=60)
        if ActionLink.objects.filter(
            user=user,
            purpose__in=[LinkPurpose.RESET, LinkPurpose.FINALISE],
            created_at__gt=recent,
        ).exists():
            return  # one email a minute at most
        if account is not None and account.state == AccountState.PREREGISTERED:
            send_invitation(ctx, account)
            return
        if account is not None and account.state in AccountState.closed():
            return
        minutes = int(settings.RESET_LINK_MINUTES)
        token = links.issue(LinkPurpose.RESET, user, lifetime=timedelta(minutes=minutes))
        url = links.base_url() + reverse("identity:reset", args=[token])
        send_on_commit(user.email, "password_reset", {"user": user, "url": url, "minutes": minutes})


def reset_password(ctx: Context, token: str, password: str, confirm: str) -> User:
    """Whoever holds a reset link; writes `identity.password_reset` (and revokes every access)."""
    with transaction.atomic():
        user = _consume_password_link(LinkPurpose.RESET, token, password, confirm)
        throttle.succeed(user.email)
        record_event(as_person(ctx, user), AuditAction.IDENTITY_PASSWORD_RESET, target=user)
        revoke_access(as_person(ctx, user), user, "password_reset")
    return user


def change_password(ctx: Context, user: User, current: str, password: str, confirm: str) -> None:
    """The logged-in person, knowing their password; writes `identity.password_changed`."""
    problems: list[Problem] = []
    if not user.check_password(current):
        problems.append(Problem("current", "wrong", "Le mot de passe actuel est incorrect."))
    problems += check_password_rules(password, confirm, user)
    if problems:
        raise Invalid("Le mot de passe n'a pas été changé.", problems)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        record_event(as_person(ctx, user), AuditAction.IDENTITY_PASSWORD_CHANGED, target=user)


def issue_reset_link(ctx: Context, user: User) -> str:
    """The operator or the server (CLI), for a person; writes `identity.reset_link`.

    A reset link the operator hands over (e.g. by phone); returns the full URL.
    """
    minutes = int(settings.RESET_LINK_MINUTES)
    with transaction.atomic():
        token = links.issue(LinkPurpose.RESET, user, lifetime=timedelta(minutes=minutes))
        account = Account.objects.filter(user=user).select_related("structure").first()
        record_event(
            ctx,
            AuditAction.IDENTITY_RESET_LINK,
            structure=account.structure if account is not None else None,
            target=user,
            detail={"minutes": minutes, "account": account.email if account else ""},
        )
    return links.base_url() + reverse("identity:reset", args=[token])
