"""Ending a person's access at once: sessions, application passwords, API tokens, browsers.

One function, `revoke_access`, called by every action after which earlier credentials must
stop working: account deactivation, password reset and « Se déconnecter partout ».

- Open web sessions end at their next request: the session generation is bumped and
  `SessionLimitsMiddleware` compares it at every request (API calls made with the session
  cookie end the same way).
- Application passwords (SMTP submission), API tokens, remembered browsers and partner
  certificates (issue #17) are marked revoked: `check_app_password`, `user_for_token`,
  `browsers.recognise` and `certificates.rules.usable_row` only accept rows whose
  `revoked_at` is empty, so the next SMTP AUTH, API call or login asks again.

The module only imports models, so the accounts operations can call it without a cycle.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.api.models import ApiToken
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.identity.models import ClientCertificate, Security, TrustedBrowser
from caducee.mail.models import AppPassword
from caducee.people.models import User
from caducee.structures.models import Structure

# Why access ends; stored in the audit event's detail.
REASONS = {
    "account_deactivated": "compte désactivé",
    "account_deleted": "compte supprimé (inactivité)",
    "password_reset": "mot de passe réinitialisé",
    "logout_everywhere": "déconnexion de tous les appareils",
    "second_factor_reset": "second facteur réinitialisé",
    "login_disabled": "connexion désactivée (plus aucun droit)",
    "external_suspended": "compte externe suspendu",
}


def revoke_access(
    ctx: Context, user: User, reason: str, *, structure: Structure | None = None
) -> dict[str, Any]:
    """End every open session and revoke every app password, API token and browser.

    Returns (and audits as `identity.access_revoked`) how many of each were revoked.
    """
    if reason not in REASONS:
        raise ValueError(f"unknown revocation reason {reason!r}")
    now = timezone.now()
    with transaction.atomic():
        bumped = Security.objects.filter(user=user).update(
            session_generation=F("session_generation") + 1
        )
        if not bumped:
            Security.objects.create(user=user, session_generation=1)
        counts: dict[str, Any] = {
            "reason": REASONS[reason],
            "app_passwords": AppPassword.objects.filter(user=user, revoked_at__isnull=True).update(
                revoked_at=now
            ),
            "api_tokens": ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
                revoked_at=now
            ),
            "browsers": TrustedBrowser.objects.filter(user=user, revoked_at__isnull=True).update(
                revoked_at=now
            ),
            # Partner certificates: the login checks their serial in the database (#17).
            "certificates": ClientCertificate.objects.filter(
                user=user, revoked_at__isnull=True
            ).update(revoked_at=now, revoked_by=ctx.user, reason=REASONS[reason], bundle=None),
        }
        record_event(
            ctx,
            AuditAction.IDENTITY_ACCESS_REVOKED,
            structure=structure,
            target=user,
            detail=counts,
        )
    return counts


def revoke_account_access(ctx: Context, account: Account, reason: str) -> None:
    """Revoke the access of the person who logs in to this mailbox, if any.

    A shared (ORG/APP) mailbox has no person of its own: the people using it through a
    connection account lose it at their next request or SMTP command, because
    `identity.mailboxes.may_open` and `openable` skip deactivated shared mailboxes; their
    own credentials stay valid for their own mailbox.
    """
    if account.user is not None:
        revoke_access(ctx, account.user, reason, structure=account.structure)
