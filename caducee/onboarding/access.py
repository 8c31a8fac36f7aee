"""Who sees the « Demandes de raccordement »: the platform operator (the service centre)
and the server (CLI). Anyone else, structure admins included, gets a 404: the queue and
its requests do not exist for them."""

from __future__ import annotations

from caducee.core.context import Context
from caducee.core.errors import NotFound
from caducee.onboarding.models import ConnectionRequest

REFUSAL = "Page réservée au centre de services de la plateforme."


def require_operator(ctx: Context) -> None:
    """The active operator, or the server itself (CLI, system); NotFound otherwise."""
    if ctx.is_server:
        return
    if ctx.user is None or not (ctx.user.is_active and ctx.user.is_operator):
        raise NotFound(REFUSAL)


def access_request(ctx: Context, request_id: int) -> ConnectionRequest:
    """One request, for the operator; NotFound for anyone else or an unknown id."""
    require_operator(ctx)
    found = (
        ConnectionRequest.objects.select_related("handled_by", "structure")
        .filter(pk=request_id)
        .first()
    )
    if found is None:
        raise NotFound("Demande de raccordement introuvable.")
    return found
