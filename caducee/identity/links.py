"""Issuing and redeeming single-use links."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from caducee.core.secrets import digest, url_token
from caducee.identity.models import ActionLink, LinkPurpose
from caducee.people.models import User


def new_token() -> str:
    """A fresh link token: 256 random bits, URL-safe."""
    return url_token(32)


def token_hash(token: str) -> str:
    """What is stored of a link token (never the token itself)."""
    return digest(token)


def issue(
    purpose: str, user: User | None, days: int | None = None, *, lifetime: timedelta | None = None
) -> str:
    """Create a link and return its token (shown once, never stored in clear)."""
    token = new_token()
    if lifetime is None:
        lifetime = timedelta(days=days if days is not None else settings.ACTION_LINK_DAYS)
    with transaction.atomic():
        # A fresh link replaces the older unused ones of the same purpose and person.
        ActionLink.objects.filter(purpose=purpose, user=user, used_at__isnull=True).update(
            expires_at=timezone.now()
        )
        ActionLink.objects.create(
            purpose=purpose,
            token_hash=token_hash(token),
            user=user,
            expires_at=timezone.now() + lifetime,
        )
    return token


def find_valid(purpose: str, token: str) -> ActionLink | None:
    link = ActionLink.objects.filter(purpose=purpose, token_hash=token_hash(token)).first()
    if link is None or link.used_at is not None or link.expires_at <= timezone.now():
        return None
    return link


def consume(link: ActionLink) -> bool:
    """Mark the link used; False if another request used it first."""
    updated = ActionLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    return updated == 1


def link_state(purpose: str, token: str) -> str:
    """'valid', 'used', 'expired' or 'unknown', to explain a dead link clearly."""
    link = ActionLink.objects.filter(purpose=purpose, token_hash=token_hash(token)).first()
    if link is None:
        return "unknown"
    if link.used_at is not None:
        return "used"
    if link.expires_at <= timezone.now():
        return "expired"
    return "valid"


def issue_setup_link() -> str | None:
    """A one-time link to create the first operator, while none exists."""
    if User.objects.filter(is_operator=True).exists():
        return None
    return issue(LinkPurpose.SETUP, None, days=1)


def base_url() -> str:
    if settings.BASE_URL:
        return str(settings.BASE_URL)
    from caducee.config import env_str, parse_host_port

    host, port = parse_host_port(env_str("CADUCEE_HTTP", "127.0.0.1:8000"), 8000)
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"
