"""Security settings: remembered browsers, the authenticator app (TOTP) and its reset."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import Forbidden, Invalid, NotFound, Problem
from caducee.identity import secret_box, totp
from caducee.identity.models import TrustedBrowser
from caducee.identity.operations._common import as_person, security_of
from caducee.identity.revocation import revoke_access
from caducee.people.models import User
from caducee.structures.access import admin_scope, require_admin


def remembered_browsers(user: User) -> list[TrustedBrowser]:
    """The person's remembered browsers still in force."""
    return list(
        TrustedBrowser.objects.filter(
            user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
    )


def revoke_browser(ctx: Context, user: User, browser_id: int) -> TrustedBrowser:
    """The logged-in person, on their own browser; writes `identity.browser_revoked`."""
    browser = TrustedBrowser.objects.filter(
        pk=browser_id, user=user, revoked_at__isnull=True
    ).first()
    if browser is None:
        raise NotFound("Navigateur introuvable.")
    with transaction.atomic():
        browser.revoked_at = timezone.now()
        browser.save(update_fields=["revoked_at"])
        record_event(
            as_person(ctx, user),
            AuditAction.IDENTITY_BROWSER_REVOKED,
            target=user,
            detail={"browser": browser.pk, "label": browser.label},
        )
    return browser


def enable_totp(ctx: Context, user: User, secret: str, code: str) -> None:
    """The logged-in person; writes `identity.totp_enabled`.

    Turns on the authenticator app once the person typed a first code from it; it replaces
    SMS codes, if the person had them (the event says so).
    """
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
        replaces_sms = bool(security.sms_number)
        security.sms_number = ""
        security.sms_confirmed_at = None
        security.save(
            update_fields=[
                "totp_secret",
                "totp_confirmed_at",
                "totp_last_step",
                "sms_number",
                "sms_confirmed_at",
            ]
        )
        record_event(
            as_person(ctx, user),
            AuditAction.IDENTITY_TOTP_ENABLED,
            target=user,
            detail={"replaces": "sms"} if replaces_sms else None,
        )


def disable_totp(ctx: Context, user: User, code: str) -> None:
    """The logged-in person, with a current code of the app; writes `identity.totp_disabled`."""
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
        record_event(as_person(ctx, user), AuditAction.IDENTITY_TOTP_DISABLED, target=user)


def reset_second_factor(ctx: Context, user: User) -> None:
    """The server, the operator, or an admin of the person's structure; writes
    `identity.totp_reset` (and revokes every access).

    Removes the authenticator app of a person who lost it; they log in with emailed codes.
    The emailed code never replaces an enrolled app at login (L1), so this is the way back
    in. An admin may not do it when the person is the operator or administers another
    structure (then only the operator or the server). Every access of the person is revoked
    too: the app may have been lost with a phone that held sessions or app passwords.
    """
    account = Account.objects.filter(user=user).select_related("structure").first()
    if not ctx.is_server and not ctx.is_operator:
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
        record_event(ctx, AuditAction.IDENTITY_TOTP_RESET, structure=structure, target=user)
        revoke_access(ctx, user, "second_factor_reset", structure=structure)
