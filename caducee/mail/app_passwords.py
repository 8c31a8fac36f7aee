"""Application passwords: what a mail client logs in with (SMTP submission), never the
login password; shown once, stored as a digest."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import NotFound
from caducee.core.secrets import LOWER_ALPHABET, digest, readable_password
from caducee.mail.models import AppPassword
from caducee.people.models import User


def create_app_password(ctx: Context, user: User, label: str) -> str:
    """The person themself (or the server for them); audits `mail.app_password_create`.

    A random password for a mail client; shown once, stored hashed."""
    label = " ".join(label.split())[:80] or "Client de messagerie"
    secret = readable_password(5, 4, LOWER_ALPHABET)
    with transaction.atomic():
        row = AppPassword.objects.create(
            user=user, label=label, prefix=secret[:4], password_hash=digest(secret)
        )
        record_event(
            ctx,
            AuditAction.MAIL_APP_PASSWORD_CREATE,
            target=user,
            detail={"id": row.pk, "label": label},
        )
    return secret


def revoke_app_password(ctx: Context, user: User, password_id: int) -> None:
    """The person themself; audits `mail.app_password_revoke`. Else NotFound."""
    with transaction.atomic():
        updated = AppPassword.objects.filter(
            pk=password_id, user=user, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        if not updated:
            raise NotFound("Mot de passe d'application introuvable.")
        record_event(
            ctx, AuditAction.MAIL_APP_PASSWORD_REVOKE, target=user, detail={"id": password_id}
        )


def check_app_password(login: str, secret: str) -> User | None:
    """The person for a (login, application password) pair; never the login password."""
    user = User.objects.filter(email=login.strip().lower(), is_active=True).first()
    if user is None:
        return None
    wanted = digest(secret.strip())
    for row in AppPassword.objects.filter(user=user, revoked_at__isnull=True):
        if secrets.compare_digest(row.password_hash, wanted):
            AppPassword.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
            return user
    return None
