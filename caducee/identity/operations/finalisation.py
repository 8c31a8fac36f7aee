"""Finalisation: the invitation link, the finalisation page, the CGU, reminders and resends."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from caducee.accounts.models import Account, AccountState, AccountType
from caducee.accounts.operations import mark_finalised, stored_values
from caducee.accounts.validation import clean_account
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.audit.models import AuditEvent
from caducee.core.context import Context
from caducee.core.email import send_on_commit
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.identity import cgu, links
from caducee.identity.models import LinkPurpose, Reminder, Security
from caducee.identity.operations._common import as_person, check_password_rules, security_of
from caducee.people.models import User
from caducee.structures.access import require_admin
from caducee.structures.models import Structure

# The account fields a person may check and correct on the finalisation page; their rules
# come from the field table (accounts/fields.py) through clean_account.
FINALISE_FIELDS = (
    "last_name",
    "first_name",
    "phone1",
    "phone2",
    "address1",
    "address2",
    "postal_code",
    "city",
)


def send_invitation(ctx: Context, account: Account) -> None:
    """The caller's business (inside its transaction); writes `identity.invitation_sent`.

    Issues a fresh single-use finalisation link (older ones stop working) and emails it on
    commit. The audit event names who issued it (the context's person) and the account's
    structure; the finalisation event quotes it (`_link_issuer`). The email is a background
    task (caducee/emails/), queued with the transaction.
    """
    if account.user is None:
        return
    days = int(settings.FINALISATION_DAYS)
    token = links.issue(LinkPurpose.FINALISE, account.user, days=days)
    url = links.base_url() + reverse("identity:finalise", args=[token])
    context = {"account": account, "structure": account.structure, "url": url, "days": days}
    send_on_commit(account.email, "finalisation", context)
    record_event(
        ctx,
        AuditAction.IDENTITY_INVITATION_SENT,
        structure=account.structure,
        target=account,
        detail={"expires_in_days": days, "sent_to": account.email},
    )


def finalisation_account(token: str) -> Account | None:
    """The pre-registered account a valid finalisation link opens, or None."""
    link = links.find_valid(LinkPurpose.FINALISE, token)
    if link is None or link.user is None:
        return None
    account = Account.objects.filter(user=link.user).select_related("structure").first()
    if account is None or account.state != AccountState.PREREGISTERED:
        return None
    return account


def finalise_account(
    ctx: Context,
    token: str,
    data: Mapping[str, object],
    password: str,
    confirm: str,
    cgu_version: str,
) -> Account:
    """Whoever holds a finalisation link; writes `identity.finalise`.

    The person sets a password, corrects their information and accepts the CGU. The account
    becomes valid and, having waited for finalisation, visible in the directory.
    """
    link = links.find_valid(LinkPurpose.FINALISE, token)
    account = finalisation_account(token)
    if link is None or account is None or account.user is None:
        raise NotFound("Ce lien de finalisation n'est plus valable.")
    user = account.user
    merged: dict[str, object] = dict(stored_values(account))
    merged["connection_accounts"] = ""
    merged.update({key: data[key] for key in FINALISE_FIELDS if key in data})
    cleaned = clean_account(merged)
    problems = [p for p in cleaned.problems if p.is_error and p.field in FINALISE_FIELDS]
    problems += check_password_rules(password, confirm, user)
    current = cgu.current_version()
    if not cgu.text(current):
        problems.append(
            Problem(
                "cgu",
                "missing_text",
                f"Le texte des conditions générales d'utilisation (version {current}) est "
                "introuvable sur le serveur : prévenez l'opérateur de la plateforme.",
            )
        )
    elif cgu_version != current:
        problems.append(
            Problem(
                "cgu",
                "required",
                "Cochez la case pour accepter les conditions générales d'utilisation.",
            )
        )
    if problems:
        raise Invalid(
            "Votre compte n'est pas encore finalisé : corrigez les points signalés.", problems
        )
    with transaction.atomic():
        if not links.consume(link):
            raise NotFound("Ce lien de finalisation a déjà servi.")
        changes: dict[str, list[str]] = {}
        for key in FINALISE_FIELDS:
            value = cleaned.values.get(key)
            new = "" if value is None else value
            if getattr(account, key) != new:
                changes[key] = [str(getattr(account, key)), str(new)]
                setattr(account, key, new)
        became_visible = not account.visible
        account.visible = True
        account.save()
        mark_finalised(account)
        user.set_password(password)
        user.is_active = True
        user.first_name = account.first_name
        user.last_name = account.last_name
        user.save(update_fields=["password", "is_active", "first_name", "last_name"])
        security = security_of(user)
        security.cgu_version = current
        security.cgu_accepted_at = timezone.now()
        security.save(update_fields=["cgu_version", "cgu_accepted_at"])
        record_event(
            Context(user=user, acting_as=account, ip=ctx.ip, channel=ctx.channel),
            AuditAction.IDENTITY_FINALISE,
            structure=account.structure,
            target=account,
            detail={
                "cgu_version": current,
                "changes": changes,
                "made_visible": became_visible,
                "link_issued_by": _link_issuer(account),
            },
        )
    return account


def _link_issuer(account: Account) -> dict[str, object]:
    """Who sent the finalisation link being used: the latest invitation event of the account.

    Each new link replaces the previous ones, so the latest « identity.invitation_sent »
    event is the one of the link in hand.
    """
    event = (
        AuditEvent.objects.filter(
            action=AuditAction.IDENTITY_INVITATION_SENT,
            target_type="account",
            target_id=str(account.pk),
        )
        .order_by("-seq")
        .values("actor_label", "channel", "structure_id", "created_at")
        .first()
    )
    if event is None:
        return {}
    return {
        "actor": event["actor_label"],
        "channel": event["channel"],
        "structure_id": event["structure_id"],
        "at": event["created_at"].isoformat(),
    }


def cgu_to_accept_again(user: User) -> bool:
    """True when the person accepted an older CGU version than the current one."""
    accepted = Security.objects.filter(user=user).values_list("cgu_version", flat=True).first()
    return bool(accepted) and accepted != cgu.current_version()


def accept_cgu(ctx: Context, user: User, version: str) -> None:
    """The logged-in person, after a new CGU version; writes `identity.cgu_accepted`."""
    current = cgu.current_version()
    if version != current:
        raise Invalid(
            "Cochez la case pour accepter les conditions générales d'utilisation.",
            [Problem("cgu", "required", "Cochez la case pour accepter les conditions.")],
        )
    with transaction.atomic():
        security = security_of(user)
        previous = security.cgu_version
        security.cgu_version = current
        security.cgu_accepted_at = timezone.now()
        security.save(update_fields=["cgu_version", "cgu_accepted_at"])
        record_event(
            as_person(ctx, user),
            AuditAction.IDENTITY_CGU_ACCEPTED,
            target=user,
            detail={"version": current, "previous": previous},
        )


# --- reminders and resends ----------------------------------------------------------------


def preregistered(structure: Structure) -> list[Account]:
    """The structure's pre-registered nominative accounts, by address."""
    return list(
        Account.objects.filter(
            structure=structure,
            state=AccountState.PREREGISTERED,
            type__in=AccountType.nominative(),
            user__isnull=False,
        ).order_by("email")
    )


def remind_preregistered(ctx: Context, structure: Structure) -> Reminder:
    """An admin of the structure, the operator or the server; writes `identity.reminder`.

    Sends a fresh finalisation link to every pre-registered user; older links stop working.
    """
    require_admin(ctx, structure)
    accounts = preregistered(structure)
    with transaction.atomic():
        for account in accounts:
            send_invitation(ctx, account)
        reminder = Reminder.objects.create(
            structure=structure,
            created_at=timezone.now(),
            actor=ctx.user,
            actor_label=ctx.actor_label,
            accounts=[
                {"id": a.pk, "email": a.email, "name": f"{a.last_name} {a.first_name}".strip()}
                for a in accounts
            ],
        )
        record_event(
            ctx,
            AuditAction.IDENTITY_REMINDER,
            structure=structure,
            target=reminder,
            target_label=f"Relance du {timezone.localtime(reminder.created_at):%d/%m/%Y %H:%M:%S}",
            detail={"count": len(accounts), "accounts": [a.email for a in accounts]},
        )
    return reminder


def last_reminder(structure: Structure) -> Reminder | None:
    """The structure's latest reminder (read-only: the caller checked access), or None."""
    return Reminder.objects.filter(structure=structure).first()


def resend_invitation(ctx: Context, account: Account) -> None:
    """An admin of the account's structure, the operator or the server; writes
    `identity.invitation_sent`.

    Sends one pre-registered user a fresh finalisation link.
    """
    require_admin(ctx, account.structure)
    if account.state != AccountState.PREREGISTERED or account.user is None:
        raise Invalid(
            "Seul un compte préinscrit reçoit un lien de finalisation : ce compte est "
            f"« {account.get_state_display()} ». Pour un mot de passe perdu, l'utilisateur "
            "clique sur « Mot de passe oublié ? » à la connexion."
        )
    with transaction.atomic():
        send_invitation(ctx, account)
