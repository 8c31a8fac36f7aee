"""Identity actions: finalisation, reminders, login steps, browsers, TOTP, passwords, mailboxes.

Each action checks permission, validates, writes inside a transaction and records its
audit event. Views, CLI commands and the API are thin adapters over these functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from caducee.accounts.models import Account, AccountState, AccountType
from caducee.accounts.operations import mark_finalised, stored_values
from caducee.accounts.validation import clean_account
from caducee.audit.log import record
from caducee.audit.models import AuditEvent
from caducee.core.context import Context
from caducee.core.email import send_on_commit
from caducee.core.errors import Forbidden, Invalid, NotFound, Problem
from caducee.identity import browsers, cgu, codes, links, secret_box, throttle, totp
from caducee.identity.invitations import send_invitation
from caducee.identity.mailboxes import may_open
from caducee.identity.models import ActionLink, LinkPurpose, Reminder, Security, TrustedBrowser
from caducee.identity.revocation import revoke_access
from caducee.monitoring import metrics
from caducee.people.models import User
from caducee.structures.access import admin_scope, require_admin
from caducee.structures.models import Structure
from caducee.tasks.queues import URGENT

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


def _as_person(ctx: Context, user: User) -> Context:
    """The same request context, now attributed to the person who proved who they are."""
    return replace(ctx, user=user)


def security_of(user: User) -> Security:
    row, _ = Security.objects.get_or_create(user=user)
    return row


def check_password_rules(password: str, confirm: str, user: User | None) -> list[Problem]:
    problems: list[Problem] = []
    if password != confirm:
        problems.append(
            Problem("confirm", "mismatch", "Les deux mots de passe diffèrent : retapez-les.")
        )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        problems.extend(Problem("password", "weak", str(m)) for m in exc.messages)
    return problems


_check_password = check_password_rules  # older name, kept for callers


# --- first operator and admin password links (foundation) -----------------------------


def create_first_operator(
    ctx: Context,
    token: str,
    email: str,
    first_name: str,
    last_name: str,
    password: str,
    confirm: str,
) -> User:
    link = links.find_valid(LinkPurpose.SETUP, token)
    if link is None or User.objects.filter(is_operator=True).exists():
        raise NotFound("Ce lien de première installation n'est plus valable.")
    address = email.strip().lower()
    problems = check_password_rules(password, confirm, User(email=address))
    if "@" not in address:
        problems.append(Problem("email", "email", "Saisissez une adresse mail valide."))
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
        record(_as_person(ctx, user), "platform.setup", target=user)
    return user


def issue_password_link(ctx: Context, user: User) -> str:
    """A single-use link for this person to choose a password; returns the full URL."""
    token = links.issue(LinkPurpose.SET_PASSWORD, user)
    record(ctx, "identity.password_link", target=user)
    return links.base_url() + reverse("identity:set_password", args=[token])


def set_password_with_link(ctx: Context, token: str, password: str, confirm: str) -> User:
    link = links.find_valid(LinkPurpose.SET_PASSWORD, token)
    if link is None or link.user is None:
        raise NotFound("Ce lien n'est plus valable.")
    user = link.user
    problems = check_password_rules(password, confirm, user)
    if problems:
        raise Invalid("Le mot de passe n'a pas été enregistré.", problems)
    with transaction.atomic():
        if not links.consume(link):
            raise NotFound("Ce lien a déjà servi.")
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        record(_as_person(ctx, user), "identity.password_set", target=user)
    return user


# --- finalisation ------------------------------------------------------------------------


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
    """The person sets a password, corrects their information and accepts the CGU.

    The account becomes valid and, having waited for finalisation, visible in the directory.
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
        record(
            Context(user=user, acting_as=account, ip=ctx.ip, channel=ctx.channel),
            "identity.finalise",
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
            action="identity.invitation_sent", target_type="account", target_id=str(account.pk)
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
    """Record that the person accepts the current CGU (after a new version came out)."""
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
        record(
            _as_person(ctx, user),
            "identity.cgu_accepted",
            target=user,
            detail={"version": current, "previous": previous},
        )


# --- reminders ---------------------------------------------------------------------------


def preregistered(structure: Structure) -> list[Account]:
    return list(
        Account.objects.filter(
            structure=structure,
            state=AccountState.PREREGISTERED,
            type__in=AccountType.nominative(),
            user__isnull=False,
        ).order_by("email")
    )


def remind_preregistered(ctx: Context, structure: Structure) -> Reminder:
    """Send a fresh finalisation link to every pre-registered user; older links stop working."""
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
        record(
            ctx,
            "identity.reminder",
            structure=structure,
            target=reminder,
            target_label=f"Relance du {timezone.localtime(reminder.created_at):%d/%m/%Y %H:%M:%S}",
            detail={"count": len(accounts), "accounts": [a.email for a in accounts]},
        )
    return reminder


def last_reminder(structure: Structure) -> Reminder | None:
    return Reminder.objects.filter(structure=structure).first()


def resend_invitation(ctx: Context, account: Account) -> None:
    """Send one pre-registered user a fresh finalisation link."""
    require_admin(ctx, account.structure)
    if account.state != AccountState.PREREGISTERED or account.user is None:
        raise Invalid(
            "Seul un compte préinscrit reçoit un lien de finalisation : ce compte est "
            f"« {account.get_state_display()} ». Pour un mot de passe perdu, l'utilisateur "
            "clique sur « Mot de passe oublié ? » à la connexion."
        )
    with transaction.atomic():
        send_invitation(ctx, account)


# --- login ------------------------------------------------------------------------------


def shared_mailbox(email: str) -> Account | None:
    """The ORG or APP mailbox at this address, which no one logs in to directly."""
    return Account.objects.filter(
        email=email.strip().lower(), type__in=AccountType.shared()
    ).first()


def login_refusal(email: str, ip: str | None) -> throttle.Refusal | None:
    return throttle.check(throttle.keys_for(email, ip))


def login_failed(ctx: Context, email: str, *, stage: str, user: User | None = None) -> None:
    """Count a wrong password or code (per account and per IP) and audit it."""
    address = email.strip().lower()
    metrics.login_failed(stage)
    with transaction.atomic():
        locked = throttle.fail(throttle.keys_for(address, ctx.ip))
        record(
            ctx,
            "identity.login_failed",
            target=user,
            target_label=address,
            detail={"stage": stage, "email": address},
        )
        if locked:
            record(
                ctx,
                "identity.lockout",
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
    if account is not None and account.state == AccountState.DEACTIVATED:
        if not user.admin_roles.exists() and not user.is_operator:
            return (
                "Votre compte est désactivé. Adressez-vous à l'administrateur de votre structure."
            )
    return ""


def send_login_code(ctx: Context, user: User) -> None:
    """Email a fresh 6-digit code; codes.TooSoon if the last one is under a minute old."""
    code = codes.issue(user)
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
        record(_as_person(ctx, user), "identity.code_sent", target=user)


def verify_second_factor(ctx: Context, user: User, code: str, method: str) -> codes.Verdict:
    """Check an emailed ('email') or authenticator ('totp') code; failures are counted."""
    if method == "totp":
        verdict = _verify_totp(user, code)
    else:
        verdict = codes.verify(user, code)
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
) -> str | None:
    """Record a successful login; with `remember`, returns the browser cookie value.

    `certificate`: subject of the client certificate the trusted proxy verified, if any
    (caducee/core/client_address.py), kept in the audit event.
    """
    person = _as_person(ctx, user)
    cookie: str | None = None
    detail = {"method": method} | ({"certificate": certificate} if certificate else {})
    with transaction.atomic():
        throttle.succeed(user.email)
        record(person, "identity.login", target=user, detail=detail)
        if remember:
            browser, cookie = browsers.create(user, browser_label, ctx.ip)
            record(
                person,
                "identity.browser_remembered",
                target=user,
                detail={"browser": browser.pk, "label": browser.label},
            )
    return cookie


def record_logout(ctx: Context) -> None:
    if ctx.user is not None:
        with transaction.atomic():
            record(ctx, "identity.logout", target=ctx.user)


def logout_everywhere(ctx: Context, user: User) -> None:
    """End every open session of this person and revoke the credentials they left behind.

    Application passwords, API tokens and remembered browsers are revoked too: « Se
    déconnecter partout » is what a person does after losing a device (revocation.py).
    """
    with transaction.atomic():
        record(_as_person(ctx, user), "identity.logout_everywhere", target=user)
        revoke_access(ctx, user, "logout_everywhere")


# --- remembered browsers -------------------------------------------------------------------


def remembered_browsers(user: User) -> list[TrustedBrowser]:
    return list(
        TrustedBrowser.objects.filter(
            user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
    )


def revoke_browser(ctx: Context, user: User, browser_id: int) -> TrustedBrowser:
    browser = TrustedBrowser.objects.filter(
        pk=browser_id, user=user, revoked_at__isnull=True
    ).first()
    if browser is None:
        raise NotFound("Navigateur introuvable.")
    with transaction.atomic():
        browser.revoked_at = timezone.now()
        browser.save(update_fields=["revoked_at"])
        record(
            _as_person(ctx, user),
            "identity.browser_revoked",
            target=user,
            detail={"browser": browser.pk, "label": browser.label},
        )
    return browser


# --- authenticator app (TOTP) ------------------------------------------------------------------


def enable_totp(ctx: Context, user: User, secret: str, code: str) -> None:
    """Turn on the authenticator app once the person typed a first code from it."""
    step = totp.matching_step(secret, code, 0)
    if step is None:
        raise Invalid(
            "Code incorrect : saisissez les 6 chiffres affichés par votre application.",
            [Problem("code", "invalid", "Code incorrect.")],
        )
    with transaction.atomic():
        security = security_of(user)
        security.totp_secret = secret_box.seal(secret)
        security.totp_confirmed_at = timezone.now()
        security.totp_last_step = step
        security.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
        record(_as_person(ctx, user), "identity.totp_enabled", target=user)


def disable_totp(ctx: Context, user: User, code: str) -> None:
    security = security_of(user)
    secret = secret_box.unseal(security.totp_secret)
    step = totp.matching_step(secret, code, security.totp_last_step)
    if not security.totp_enabled or step is None:
        raise Invalid(
            "Code incorrect : saisissez le code actuel de votre application pour la retirer.",
            [Problem("code", "invalid", "Code incorrect.")],
        )
    with transaction.atomic():
        security.totp_secret = ""
        security.totp_confirmed_at = None
        security.totp_last_step = step
        security.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
        record(_as_person(ctx, user), "identity.totp_disabled", target=user)


def reset_second_factor(ctx: Context, user: User) -> None:
    """Remove the authenticator app of a person who lost it; they log in with emailed codes.

    The emailed code never replaces an enrolled app at login (L1), so this is the way back
    in. Allowed to the server (CLI), the operator, and an admin of the structure of the
    person's mailbox, unless the person is the operator or administers another structure
    (then only the operator or the server). Every access of the person is revoked too: the
    app may have been lost with a phone that held sessions or app passwords.
    """
    account = Account.objects.filter(user=user).select_related("structure").first()
    server = ctx.user is None and ctx.channel in {"cli", "system"}
    if not server and not ctx.is_operator:
        if account is None:
            raise NotFound("Compte introuvable.")
        require_admin(ctx, account.structure)
        foreign_roles = user.admin_roles.exclude(structure__in=admin_scope(ctx))
        if user.is_operator or foreign_roles.exists():
            raise Forbidden(
                "Seul l'opérateur de la plateforme peut réinitialiser le second facteur de "
                "cette personne : elle a des droits d'administration hors de vos structures."
            )
    security = security_of(user)
    if not security.totp_enabled:
        raise Invalid(
            f"{user.email} n'utilise pas d'application d'authentification : ses codes de "
            "connexion lui sont déjà envoyés par mail."
        )
    structure = account.structure if account is not None else None
    with transaction.atomic():
        security.totp_secret = ""
        security.totp_confirmed_at = None
        security.save(update_fields=["totp_secret", "totp_confirmed_at"])
        record(ctx, "identity.totp_reset", structure=structure, target=user)
        revoke_access(ctx, user, "second_factor_reset", structure=structure)


# --- forgotten and changed passwords -----------------------------------------------------------


def request_password_reset(ctx: Context, email: str) -> None:
    """Email a reset link (or, to a pre-registered user, a fresh finalisation link).

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
            record(
                ctx,
                "identity.password_reset_requested",
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
        if account is not None and account.state == AccountState.DEACTIVATED:
            return
        minutes = int(settings.RESET_LINK_MINUTES)
        token = links.issue(LinkPurpose.RESET, user, lifetime=timedelta(minutes=minutes))
        url = links.base_url() + reverse("identity:reset", args=[token])
        send_on_commit(user.email, "password_reset", {"user": user, "url": url, "minutes": minutes})


def reset_password(ctx: Context, token: str, password: str, confirm: str) -> User:
    link = links.find_valid(LinkPurpose.RESET, token)
    if link is None or link.user is None:
        raise NotFound("Ce lien de réinitialisation n'est plus valable.")
    user = link.user
    problems = check_password_rules(password, confirm, user)
    if problems:
        raise Invalid("Le mot de passe n'a pas été changé.", problems)
    with transaction.atomic():
        if not links.consume(link):
            raise NotFound("Ce lien de réinitialisation a déjà servi.")
        user.set_password(password)
        user.save(update_fields=["password"])
        throttle.succeed(user.email)
        record(_as_person(ctx, user), "identity.password_reset", target=user)
        revoke_access(_as_person(ctx, user), user, "password_reset")
    return user


def change_password(ctx: Context, user: User, current: str, password: str, confirm: str) -> None:
    problems: list[Problem] = []
    if not user.check_password(current):
        problems.append(Problem("current", "wrong", "Le mot de passe actuel est incorrect."))
    problems += check_password_rules(password, confirm, user)
    if problems:
        raise Invalid("Le mot de passe n'a pas été changé.", problems)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        record(_as_person(ctx, user), "identity.password_changed", target=user)


# --- mailboxes ---------------------------------------------------------------------------------


def switch_mailbox(ctx: Context, user: User, mailbox_id: int) -> Account:
    """Open another mailbox this person may use (their own or a linked ORG/APP one)."""
    mailbox = Account.objects.filter(pk=mailbox_id).select_related("structure").first()
    if mailbox is None or not may_open(user, mailbox):
        raise NotFound("Boîte introuvable.")
    with transaction.atomic():
        record(
            Context(user=user, acting_as=mailbox, ip=ctx.ip, channel=ctx.channel),
            "identity.switch_mailbox",
            structure=mailbox.structure,
            target=mailbox,
        )
    return mailbox


# --- server-side helpers (CLI) -------------------------------------------------------------------


def person_by_email(email: str) -> User:
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        raise NotFound(f"Aucune personne n'a l'adresse {email.strip().lower()}.")
    return user


def issue_reset_link(ctx: Context, user: User) -> str:
    """A reset link an operator hands over (e.g. by phone); returns the full URL."""
    minutes = int(settings.RESET_LINK_MINUTES)
    with transaction.atomic():
        token = links.issue(LinkPurpose.RESET, user, lifetime=timedelta(minutes=minutes))
        account = Account.objects.filter(user=user).select_related("structure").first()
        record(
            ctx,
            "identity.reset_link",
            structure=account.structure if account is not None else None,
            target=user,
            detail={"minutes": minutes, "account": account.email if account else ""},
        )
    return links.base_url() + reverse("identity:reset", args=[token])


def unlock_login(ctx: Context, email: str) -> bool:
    """Lift the temporary lock of an account after failed logins."""
    address = email.strip().lower()
    with transaction.atomic():
        lifted = throttle.unlock(address)
        record(ctx, "identity.unlock", target_label=address, detail={"was_locked": lifted})
    return lifted
