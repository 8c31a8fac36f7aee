"""Issuing, checking and revoking API tokens.

A token may expire (`expires_at`) and may be read-only (`read_only`: GET, HEAD and OPTIONS
only). Wrong, expired or revoked tokens are counted per IP address like failed logins
(`identity.throttle`): past the free tries, the API answers 429 for a growing delay, then
locks the address. Only the first failure of a window and the lock are audited, so a
flood of bad tokens cannot write an unbounded number of audit events.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from caducee.accounts.models import Account, AccountState
from caducee.api.models import ApiToken
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.core.secrets import digest, url_token
from caducee.identity import throttle
from caducee.identity.models import Throttle
from caducee.people.models import User

PREFIX = "cad_"
MAX_DAYS = 3650
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ONLY_REFUSAL = (
    "Ce jeton d'API est en lecture seule : il ne permet que la consultation (GET). "
    "Créez un jeton sans « --read-only » pour modifier des données."
)


def issue_token(
    ctx: Context, user: User, label: str, *, days: int | None = None, read_only: bool = False
) -> str:
    """Create a token for this person; the clear value is returned once, never stored.

    `days`: the token stops working that many days from now (None: until revoked).
    `read_only`: the token only reads (any other method answers 403).
    """
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise Invalid(
            f"Durée de validité impossible : indiquez un nombre de jours entre 1 et {MAX_DAYS}.",
            [Problem("days", "range", f"Entre 1 et {MAX_DAYS} jours.")],
        )
    token = PREFIX + url_token(32)
    expires_at = timezone.now() + timedelta(days=days) if days is not None else None
    with transaction.atomic():
        row = ApiToken.objects.create(
            user=user,
            label=label.strip() or "API",
            token_hash=digest(token),
            prefix=token[:10],
            expires_at=expires_at,
            read_only=read_only,
        )
        record_event(
            ctx,
            AuditAction.API_TOKEN_CREATE,
            target=user,
            detail={
                "token": row.prefix,
                "label": label,
                "expires_at": expires_at.isoformat() if expires_at else None,
                "read_only": read_only,
            },
        )
    return token


def _deactivated_mailbox_only(user: User) -> bool:
    """A person whose mailbox is deactivated and who has no admin role: no API access."""
    if user.is_operator or user.admin_roles.exists():
        return False
    return Account.objects.filter(user=user, state__in=AccountState.closed()).exists()


def token_row(token: str) -> ApiToken | None:
    """The valid token row for this clear value: not revoked, not expired, person active."""
    now = timezone.now()
    row = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=digest(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    if _deactivated_mailbox_only(row.user):
        return None
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row


def user_for_token(token: str) -> User | None:
    row = token_row(token)
    return row.user if row is not None else None


def ip_key(ip: str | None) -> str:
    """The throttle key of bad API tokens from one address (follows the IP rules)."""
    return f"ip:api:{ip or 'inconnue'}"


def refusal_for(ip: str | None) -> throttle.Refusal | None:
    """A refusal while this address must wait after bad tokens, else None."""
    return throttle.check([ip_key(ip)])


def token_failed(ip: str | None, token: str) -> None:
    """Count a wrong, expired or revoked token from this address; audit it with bounds.

    Audited: the first failure of a window (`api.token_failed`) and the moment the address
    gets locked (`api.token_lockout`). Failures in between are only counted.
    """
    ctx = Context(user=None, ip=ip, channel="api", label="anonyme (jeton d'API)")
    prefix = token[:10]
    key = ip_key(ip)
    with transaction.atomic():
        locked = throttle.fail([key])
        failures = Throttle.objects.filter(key=key).values_list("failures", flat=True).first()
        if failures == 1:
            record_event(ctx, AuditAction.API_TOKEN_FAILED, detail={"token": prefix, "failures": 1})
        if locked:
            record_event(
                ctx, AuditAction.API_TOKEN_LOCKOUT, detail={"token": prefix, "failures": failures}
            )


def revoke_token(ctx: Context, user: User, prefix: str) -> None:
    with transaction.atomic():
        updated = ApiToken.objects.filter(user=user, prefix=prefix, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if not updated:
            raise NotFound("Jeton introuvable.")
        record_event(ctx, AuditAction.API_TOKEN_REVOKE, target=user, detail={"token": prefix})
