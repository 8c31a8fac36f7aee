"""Identity in the REST API: reminders of pre-registered users, resending one link, the
caller's own account security (`/me/...`) and the admin's second-factor reset and unlock.

Self-service routes act on the token's person only. Enrolling an authenticator app or a
mobile for SMS codes has no route: it binds a second factor to the person, and a leaked
token must not let its holder lock the person out of their login with an app of their own
or route their codes to a phone of their own (the page does it, in the person's browser).
Removing the app needs its current code, changing the password the current one; removing
SMS codes needs nothing (the emailed codes come back).

Every route declares its statuses with `responses(...)`: 403 for a write with a read-only
token, 404 for a structure or account outside the caller's reach (or no reminder yet), 422
when the account is not pre-registered; 401 and 429 come with authentication.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from caducee.accounts.access import access_account
from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.core.errors import NotFound
from caducee.core.web import api_user
from caducee.identity import methods, sms
from caducee.identity import operations as ops
from caducee.identity.models import Reminder, TrustedBrowser
from caducee.structures.access import access_structure

router = Router(tags=["identité"])


class RemindedAccount(Schema):
    id: int
    email: str
    name: str


class ReminderOut(Schema):
    created_at: datetime
    actor: str
    accounts: list[RemindedAccount]


class Done(Schema):
    detail: str


def reminder_out(reminder: Reminder) -> dict[str, Any]:
    return {
        "created_at": reminder.created_at,
        "actor": reminder.actor_label,
        "accounts": reminder.accounts,
    }


@router.post(
    "/structures/{structure_id}/reminders",
    response=responses({201: ReminderOut}, 403, 404),
    summary="Relancer les utilisateurs préinscrits (nouveau lien de finalisation à chacun)",
)
def remind(request: HttpRequest, structure_id: int) -> Status[dict[str, Any]]:
    ctx = api_context(request)
    structure = access_structure(ctx.user, structure_id)
    return Status(201, reminder_out(ops.remind_preregistered(ctx, structure)))


@router.get(
    "/structures/{structure_id}/reminders/last",
    response=responses({200: ReminderOut}, 404),
    summary="Dernière relance des utilisateurs préinscrits",
)
def last_reminder(request: HttpRequest, structure_id: int) -> dict[str, Any]:
    structure = access_structure(api_context(request).user, structure_id)
    reminder = ops.last_reminder(structure)
    if reminder is None:
        raise NotFound("Aucune relance pour cette structure.")
    return reminder_out(reminder)


@router.post(
    "/accounts/{account_id}/finalisation-link",
    response=responses({200: Done}, 403, 404, 422),
    summary="Renvoyer le lien de finalisation à un utilisateur préinscrit",
)
def resend(request: HttpRequest, account_id: int) -> dict[str, str]:
    ctx = api_context(request)
    account = access_account(ctx.user, account_id)
    ops.resend_invitation(ctx, account)
    return {"detail": f"Un nouveau lien de finalisation est envoyé à {account.email}."}


# --- The caller's own account security ---------------------------------------------------


class BrowserOut(Schema):
    id: int
    label: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime


class SecurityOut(Schema):
    totp_enabled: bool
    browsers: list[BrowserOut]
    # Issue #17 point 5: the code a password login asks (`email`, `sms` or `totp`), the
    # SMS number (masked) and the methods this platform offers.
    second_factor: str
    sms_enabled: bool
    sms_number: str
    platform_methods: list[str]


class PasswordChangeIn(Schema):
    current: str
    password: str
    confirm: str


class CodeIn(Schema):
    code: str


class UnlockOut(Schema):
    detail: str
    was_locked: bool


def browser_out(browser: TrustedBrowser) -> dict[str, Any]:
    return {
        "id": browser.pk,
        "label": browser.label,
        "created_at": browser.created_at,
        "last_used_at": browser.last_used_at,
        "expires_at": browser.expires_at,
    }


@router.get(
    "/me/security",
    response=responses({200: SecurityOut}),
    summary="Sécurité de mon compte : application d'authentification, navigateurs mémorisés",
)
def my_security(request: HttpRequest) -> dict[str, Any]:
    user = api_user(request)
    security = ops.security_of(user)
    return {
        "totp_enabled": security.totp_enabled,
        "browsers": [browser_out(b) for b in ops.remembered_browsers(user)],
        "second_factor": methods.second_factor_of(security),
        "sms_enabled": security.sms_enabled,
        "sms_number": sms.masked(security.sms_number) if security.sms_number else "",
        "platform_methods": [m.key for m in methods.platform_methods()],
    }


@router.delete(
    "/me/sms",
    response=responses({200: Done}, 403, 422),
    summary="Retirer mes codes de connexion par SMS (ils reviennent par mail)",
)
def disable_my_sms(request: HttpRequest) -> dict[str, str]:
    ops.disable_sms(api_context(request), api_user(request))
    return {"detail": "Les codes par SMS sont retirés : vos codes de connexion arrivent par mail."}


@router.delete(
    "/me/browsers/{browser_id}",
    response=responses({204: None}, 403, 404),
    summary="Oublier un de mes navigateurs mémorisés",
)
def revoke_my_browser(request: HttpRequest, browser_id: int) -> Status[None]:
    ops.revoke_browser(api_context(request), api_user(request), browser_id)
    return Status(204, None)


@router.post(
    "/me/password",
    response=responses({200: Done}, 403, 422),
    summary="Changer mon mot de passe (le mot de passe actuel est exigé)",
)
def change_my_password(request: HttpRequest, payload: PasswordChangeIn) -> dict[str, str]:
    ctx = api_context(request)
    ops.change_password(ctx, api_user(request), payload.current, payload.password, payload.confirm)
    return {"detail": "Votre mot de passe est changé."}


@router.post(
    "/me/totp/disable",
    response=responses({200: Done}, 403, 422),
    summary="Retirer mon application d'authentification (avec un code actuel de l'application)",
)
def disable_my_totp(request: HttpRequest, payload: CodeIn) -> dict[str, str]:
    ops.disable_totp(api_context(request), api_user(request), payload.code)
    return {
        "detail": "L'application d'authentification est retirée : vos codes de connexion "
        "vous seront envoyés par mail."
    }


@router.post(
    "/me/logout-everywhere",
    response=responses({200: Done}, 403),
    summary="Me déconnecter partout (sessions, mots de passe d'application, jetons d'API, "
    "navigateurs mémorisés ; ce jeton aussi)",
)
def logout_me_everywhere(request: HttpRequest) -> dict[str, str]:
    ops.logout_everywhere(api_context(request), api_user(request))
    return {"detail": "Toutes vos sessions sont fermées et vos accès révoqués, y compris ce jeton."}


# --- An admin on an account of their structures -------------------------------------------


@router.delete(
    "/accounts/{account_id}/second-factor",
    response=responses({200: Done}, 403, 404, 422),
    summary="Réinitialiser le second facteur d'une personne (application perdue)",
)
def reset_second_factor(request: HttpRequest, account_id: int) -> dict[str, str]:
    ctx = api_context(request)
    account = access_account(ctx.user, account_id)
    if account.user is None:
        raise NotFound("Compte introuvable.")
    ops.reset_second_factor(ctx, account.user)
    return {
        "detail": f"Le second facteur de {account.email} est réinitialisé : ses codes de "
        "connexion lui seront envoyés par mail, et ses sessions, mots de passe d'application "
        "et jetons d'API sont révoqués."
    }


@router.delete(
    "/accounts/{account_id}/login-lock",
    response=responses({200: UnlockOut}, 403, 404),
    summary="Lever le blocage temporaire de connexion d'un compte (échecs répétés)",
)
def unlock_login(request: HttpRequest, account_id: int) -> dict[str, Any]:
    ctx = api_context(request)
    account = access_account(ctx.user, account_id)
    email = account.user.email if account.user is not None else account.email
    lifted = ops.unlock_login(ctx, email)
    detail = "Le blocage de connexion est levé." if lifted else "Ce compte n'était pas bloqué."
    return {"detail": f"{detail} ({email})", "was_locked": lifted}
