"""The service centre's members, chosen by the operator."""

from __future__ import annotations

from django.db import transaction

from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import Forbidden, NotFound
from caducee.people.models import User
from caducee.registration.models import (
    ServiceCentreMember,
)


def add_centre_member(ctx: Context, email: str) -> User:
    """The operator or the server; writes `registration.centre_member`.

    Makes the person with this address a member of the service centre (they handle the
    registration queue); the person must exist (an admin or a mailbox's person)."""
    if not (ctx.is_operator or ctx.is_server):
        raise Forbidden("Seul l'opérateur de la plateforme désigne le centre de services.")
    address = email.strip().lower()
    user = User.objects.filter(email=address, is_active=True).first()
    if user is None:
        raise NotFound(f"Aucune personne active n'a l'adresse {address}.")
    with transaction.atomic():
        _, created = ServiceCentreMember.objects.get_or_create(user=user)
        if created:
            record_event(
                ctx, AuditAction.REGISTRATION_CENTRE_MEMBER, target=user, detail={"added": True}
            )
    return user


def remove_centre_member(ctx: Context, email: str) -> None:
    """The operator or the server; writes `registration.centre_member`."""
    if not (ctx.is_operator or ctx.is_server):
        raise Forbidden("Seul l'opérateur de la plateforme désigne le centre de services.")
    address = email.strip().lower()
    with transaction.atomic():
        deleted, _ = ServiceCentreMember.objects.filter(user__email=address).delete()
        if not deleted:
            raise NotFound(f"{address} n'est pas membre du centre de services.")
        record_event(
            ctx,
            AuditAction.REGISTRATION_CENTRE_MEMBER,
            target_label=address,
            detail={"added": False},
        )
