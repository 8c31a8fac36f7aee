"""Issuing, checking and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from caducee.api.models import ApiToken
from caducee.audit.log import record
from caducee.core.context import Context
from caducee.core.errors import NotFound
from caducee.people.models import User

PREFIX = "cad_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(ctx: Context, user: User, label: str) -> str:
    """Create a token for this person; the clear value is returned once, never stored."""
    token = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        row = ApiToken.objects.create(
            user=user, label=label.strip() or "API", token_hash=_hash(token), prefix=token[:10]
        )
        record(ctx, "api.token_create", target=user, detail={"token": row.prefix, "label": label})
    return token


def user_for_token(token: str) -> User | None:
    row = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=_hash(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if row is None:
        return None
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    return row.user


def revoke_token(ctx: Context, user: User, prefix: str) -> None:
    with transaction.atomic():
        updated = ApiToken.objects.filter(
            user=user, prefix=prefix, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        if not updated:
            raise NotFound("Jeton introuvable.")
        record(ctx, "api.token_revoke", target=user, detail={"token": prefix})
