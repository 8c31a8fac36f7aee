"""Changing a mailbox's address (its identifier): requested, then confirmed from the new address.

A request, by an admin (console, API, CLI) or by the mailbox's own person (« Mon adresse
mail », with their password), emails a single-use confirmation link to the new address
and a notice to the current one saying who asked and how to stop it. Nothing changes until
the link is opened and confirmed: whoever requested it, the new address must be reachable
by its owner. A mailbox whose person holds rights outside the requesting admin's
structures (`accounts.persons`) cannot be changed from the console at all: that would hand
over a login the admin does not answer for. The MSSanté address (`particle@domain`) is not
the login and does not change (docs/ACCOUNTS.md).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from caducee.accounts.models import Account, AccountState, EmailChangeRequest
from caducee.accounts.persons import has_rights_outside, unusable_address
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.email import send_on_commit
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.identity import links
from caducee.people.models import User
from caducee.referentials import cleaning
from caducee.structures.access import admin_scope, require_admin

LINK_DAYS = 7
Status = EmailChangeRequest.Status


def _problem(message: str) -> Invalid:
    return Invalid(message, [Problem("new_email", "email_change", message)])


def _refused_for_person() -> Invalid:
    return _problem(
        "L'adresse de ce compte ne peut pas être changée depuis votre console : son "
        "titulaire doit s'adresser à l'opérateur de la plateforme."
    )


def _in_scope(ctx: Context, structure_id: int) -> bool:
    return ctx.is_server or admin_scope(ctx).filter(pk=structure_id).exists()


def _check_new_email(ctx: Context, account: Account, address: str) -> None:
    try:
        cleaning.email(address)
    except cleaning.Rejected as exc:
        raise _problem(exc.message) from None
    if address == account.email:
        raise _problem("La nouvelle adresse est identique à l'adresse actuelle.")
    other = Account.objects.filter(email=address).values_list("structure_id", flat=True).first()
    if other is None:
        other = _mssante_owner(account, address)
    if other is not None and _in_scope(ctx, other):
        raise _problem(
            f"Un compte de vos structures utilise déjà l'adresse {address} : choisissez-en une "
            "autre."
        )
    people = User.objects.filter(email=address)
    if account.user_id is not None:
        people = people.exclude(pk=account.user_id)
    if other is not None or people.exists():
        problem = unusable_address(address, "new_email")
        raise Invalid(problem.message, [problem])


def _mssante_owner(account: Account, address: str) -> int | None:
    """The structure of another mailbox whose MSSanté address this is (mail to it reaches
    that mailbox: it cannot become someone's login), or None."""
    local, _, domain = address.partition("@")
    return (
        Account.objects.filter(structure__domain=domain, mssante_particle=local)
        .exclude(pk=account.pk)
        .values_list("structure_id", flat=True)
        .first()
    )


def _check_person(ctx: Context, account: Account) -> None:
    if account.user is not None and has_rights_outside(ctx, account.structure, account.user):
        raise _refused_for_person()


def _send_link(ctx: Context, change: EmailChangeRequest) -> None:
    """A fresh confirmation link to the new address (the previous one stops working)."""
    token = links.new_token()
    change.token_hash = links.token_hash(token)
    change.expires_at = timezone.now() + timedelta(days=LINK_DAYS)
    change.save(update_fields=["token_hash", "expires_at"])
    account = change.account
    send_on_commit(
        change.new_email,
        "email_change_confirm",
        {
            "account": account,
            "structure": account.structure,
            "new_email": change.new_email,
            "url": links.base_url() + reverse("accounts:email_change_confirm", args=[token]),
            "days": LINK_DAYS,
            "requester": requester_label(
                Context(user=change.requested_by, channel="system"), account
            ),
            "by_self": change.by_self,
        },
    )


def requester_label(ctx: Context, account: Account) -> str:
    """Who asked, as the emails say it: « alice@ch-a.fr, administrateur de … »."""
    if ctx.user is None:
        return "l'opérateur de la plateforme"
    if ctx.user.pk == account.user_id:
        return f"vous-même ({ctx.user.email})"
    if ctx.user.is_operator:
        return f"{ctx.user.email}, opérateur de la plateforme"
    return f"{ctx.user.email}, administrateur de {account.structure.name}"


def _close_expired(account: Account) -> None:
    """A pending request whose link expired gives way to a new one: it is « Expirée »."""
    EmailChangeRequest.objects.filter(
        account=account, status=Status.PENDING, expires_at__lte=timezone.now()
    ).update(status=Status.EXPIRED, token_hash="")


def _check_pending(ctx: Context, account: Account, address: str) -> None:
    pending = EmailChangeRequest.objects.filter(status=Status.PENDING)
    if pending.filter(account=account).exists():
        raise _problem(
            "Une demande de changement de mail est déjà en attente pour ce compte : renvoyez "
            "son lien de confirmation ou annulez-la d'abord."
        )
    live = pending.filter(new_email=address, expires_at__gt=timezone.now())  # expired: no claim
    other = live.values_list("account__structure_id", flat=True)
    if other.exists():
        if not _in_scope(ctx, other[0]):
            problem = unusable_address(address, "new_email")
            raise Invalid(problem.message, [problem])
        raise _problem(f"Une autre demande en attente porte déjà sur l'adresse {address}.")


def _create(ctx: Context, account: Account, address: str) -> EmailChangeRequest:
    """Record the request, mail the link and the notice, audit: in one transaction."""
    with transaction.atomic():
        _close_expired(account)
        _check_pending(ctx, account, address)
        change = EmailChangeRequest.objects.create(
            account=account, new_email=address, requested_by=ctx.user
        )
        by_self = change.by_self
        _send_link(ctx, change)
        send_on_commit(
            account.email,
            "email_change_notice",
            {
                "account": account,
                "structure": account.structure,
                "new_email": address,
                "requester": requester_label(ctx, account),
                "by_self": by_self,
                "days": LINK_DAYS,
                "my_email_url": links.base_url() + reverse("accounts:my_email"),
            },
        )
        record_event(
            ctx,
            AuditAction.ACCOUNT_EMAIL_CHANGE_REQUEST,
            structure=account.structure,
            target=account,
            detail={
                "new_email": address,
                "expires_in_days": LINK_DAYS,
                "by": "self" if by_self else "admin",
            },
        )
    return change


def request_email_change(ctx: Context, account: Account, new_email: str) -> EmailChangeRequest:
    """Admin of the account's structure; audits `account.email_change_request`.

    Asks for an account's email to change; it changes once the new address confirms it."""
    require_admin(ctx, account.structure)
    if account.is_deleted:
        raise _problem(
            "Ce compte est supprimé : son adresse ne peut plus changer (elle reste réservée)."
        )
    address = new_email.strip().lower()
    _check_new_email(ctx, account, address)
    _check_person(ctx, account)
    return _create(ctx, account, address)


def own_account(ctx: Context) -> Account:
    """The nominative mailbox of the person acting, or NotFound (an admin without one)."""
    account = (
        Account.objects.filter(user=ctx.user).select_related("structure").first()
        if ctx.user is not None
        else None
    )
    if account is None:
        raise NotFound(
            "Votre identifiant n'est lié à aucune boîte nominative : pour changer l'adresse "
            "avec laquelle vous vous connectez, écrivez à l'opérateur de la plateforme."
        )
    return account


def request_own_email_change(ctx: Context, new_email: str, password: str) -> EmailChangeRequest:
    """The person themself, for their own nominative mailbox; audits
    `account.email_change_request`.

    « Mon adresse mail »: the current password is asked again (a session left open must
    not be enough to take the login away); the link goes to the new address, the notice
    to the current one, which can cancel the request."""
    account = own_account(ctx)
    if account.state not in (AccountState.VALID, AccountState.PREREGISTERED):
        raise _problem(
            f"Votre compte est {account.get_state_display().lower()} : son adresse ne peut "
            "pas être changée. Adressez-vous à l'administrateur de votre structure."
        )
    assert ctx.user is not None  # own_account found a mailbox bound to this person
    if not password or not ctx.user.check_password(password):
        message = "Mot de passe incorrect : saisissez celui avec lequel vous vous connectez."
        raise Invalid(message, [Problem("password", "password", message)])
    address = new_email.strip().lower()
    _check_new_email(ctx, account, address)
    return _create(ctx, account, address)


def resend_email_change_link(ctx: Context, change: EmailChangeRequest) -> None:
    """« Renvoyer le lien »: a fresh confirmation link to the new address."""
    account = change.account
    require_admin(ctx, account.structure)
    if change.status != Status.PENDING:
        raise Invalid("Cette demande de changement de mail n'est plus en attente.")
    _check_person(ctx, account)
    with transaction.atomic():
        _send_link(ctx, change)
        record_event(
            ctx,
            AuditAction.ACCOUNT_EMAIL_CHANGE_RESEND,
            structure=account.structure,
            target=account,
            detail={"new_email": change.new_email, "expires_in_days": LINK_DAYS},
        )


def cancel_email_change(ctx: Context, change: EmailChangeRequest) -> None:
    """Admin of the account's structure, or the account's own person; audits
    `account.email_change_cancel`."""
    account = change.account
    by_self = ctx.user is not None and ctx.user.pk == account.user_id
    if not by_self:
        require_admin(ctx, account.structure)
    if change.status != Status.PENDING:
        raise Invalid("Cette demande de changement de mail n'est plus en attente.")
    with transaction.atomic():
        change.status = Status.CANCELLED
        change.token_hash = ""
        change.save(update_fields=["status", "token_hash"])
        record_event(
            ctx,
            AuditAction.ACCOUNT_EMAIL_CHANGE_CANCEL,
            structure=account.structure,
            target=account,
            detail={"new_email": change.new_email, "by": "self" if by_self else "admin"},
        )


def change_for_token(token: str) -> EmailChangeRequest | None:
    """The pending request a valid, unexpired confirmation link opens, or None."""
    if not token:
        return None
    change = (
        EmailChangeRequest.objects.filter(token_hash=links.token_hash(token), status=Status.PENDING)
        .select_related("account__structure", "account__user", "requested_by")
        .first()
    )
    if change is None or change.expires_at is None or change.expires_at <= timezone.now():
        return None
    return change


def confirm_email_change(ctx: Context, token: str) -> Account:
    """The owner of the new address confirms: the account (and its login) now use it.

    Checked again now, on behalf of the admin who asked: the address must still be free
    and the person must still hold no right outside that admin's structures.
    """
    change = change_for_token(token)
    if change is None:
        raise NotFound("Ce lien de confirmation n'est plus valable.")
    account = change.account
    requester = Context(user=change.requested_by, channel="system")
    try:
        _check_new_email(requester, account, change.new_email)
        if not change.by_self:  # a person's own login is theirs to move
            _check_person(requester, account)
    except Invalid:
        # Whoever opens the link learns nothing more than that it cannot be used now.
        raise Invalid(
            "Ce changement d'adresse ne peut plus être appliqué : refaites la demande "
            "(« Sécurité », « Mon adresse mail ») ou demandez à l'administrateur de votre "
            "structure de la refaire."
        ) from None
    with transaction.atomic():
        done = EmailChangeRequest.objects.filter(
            pk=change.pk, status=Status.PENDING, token_hash=change.token_hash
        ).update(status=Status.DONE, confirmed_at=timezone.now(), token_hash="")
        if not done:
            raise NotFound("Ce lien de confirmation a déjà servi.")
        old = account.email
        account.email = change.new_email
        account.save(update_fields=["email", "updated_at"])
        if account.user is not None and account.user.email == old:
            account.user.email = change.new_email
            account.user.save(update_fields=["email"])
        send_on_commit(
            old,
            "email_change_notice",
            {
                "account": account,
                "structure": account.structure,
                "new_email": change.new_email,
                "done": True,
                "requester": requester_label(requester, account),
                "by_self": change.by_self,
            },
        )
        record_event(
            ctx,
            AuditAction.ACCOUNT_EMAIL_CHANGE_CONFIRM,
            structure=account.structure,
            target=account,
            detail={
                "old_email": old,
                "new_email": change.new_email,
                "requested_by": change.requested_by.email if change.requested_by else "",
            },
        )
    return account
