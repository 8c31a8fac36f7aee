"""What the registration operations share: who may decide, as whom the platform acts,
the request limits, the address and structure-name rules."""

from __future__ import annotations

from django.conf import settings

from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound
from caducee.identity import throttle
from caducee.registration.rules import (
    is_centre,
)
from caducee.structures.models import Structure
from caducee.structures.operations import StructureInput


def require_centre(ctx: Context) -> None:
    """The server, the operator or a service-centre member; anyone else gets a 404."""
    if not (ctx.is_server or is_centre(ctx.user)):
        raise NotFound("Page réservée au centre de services.")


def acting_platform(ctx: Context, who: str) -> Context:
    """The platform acting for a registration step (the account operations it reuses are
    the server's there): the IP is kept, the label names who asked."""
    return Context(user=None, ip=ctx.ip, channel="system", label=f"inscription:{who}"[:254])


def centre_as_platform(ctx: Context) -> Context:
    """A service-centre member is not an operator: the structure, domain and address
    operations a decision reuses run as the platform, the decision's own event names them."""
    if ctx.is_server or ctx.is_operator:
        return ctx
    return acting_platform(ctx, f"centre de services ({ctx.actor_label})")


def over_limit(ctx: Context, email: str, kind: str) -> tuple[bool, bool]:
    """Count one request per IP and per address: (over either limit, first refusal of
    the window for that key) — the audit stays bounded, as for password resets."""
    ip_limit = int(settings.REGISTRATION_REQUESTS_PER_IP)
    email_limit = int(settings.REGISTRATION_REQUESTS_PER_EMAIL)
    by_ip = throttle.count_request(f"registration-{kind}-ip:{ctx.ip}") if ctx.ip else 0
    by_email = throttle.count_request(f"registration-{kind}-email:{email}")
    limited = by_ip > ip_limit or by_email > email_limit
    first = by_ip == ip_limit + 1 or by_email == email_limit + 1
    return limited, first


def clean_email(email: str, field: str = "email") -> str:
    from caducee.referentials import cleaning

    try:
        return cleaning.email(email).value
    except cleaning.Rejected as exc:
        raise Invalid(exc.message, [exc.problem(field)]) from None


def free_name(data: StructureInput) -> str:
    """The structure's name, made unique with its city, then its identifier, when taken."""
    for name in (data.name, f"{data.name} ({data.city})", f"{data.name} ({data.id_number})"):
        if not Structure.objects.filter(name__iexact=name).exists():
            return name
    return f"{data.name} ({data.id_type} {data.id_number})"
