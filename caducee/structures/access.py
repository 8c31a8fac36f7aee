"""Which structures a person may administer. Unknown and forbidden look the same (404)."""

from __future__ import annotations

from django.db.models import QuerySet

from caducee.core.context import Context
from caducee.core.errors import NotFound
from caducee.people.models import User
from caducee.referentials.text import fold
from caducee.structures.models import PlatformDomain, Structure


def structures_for_admin(user: User | None) -> QuerySet[Structure]:
    if user is None or not user.is_active:
        return Structure.objects.none()
    if user.is_operator:
        return Structure.objects.all()
    return Structure.objects.filter(admins__user=user)


def is_admin(user: User | None) -> bool:
    return structures_for_admin(user).exists()


def access_structure(user: User | None, structure_id: int) -> Structure:
    structure = structures_for_admin(user).filter(pk=structure_id).first()
    if structure is None:
        raise NotFound("Structure introuvable.")
    return structure


def find_structure(reference: str, among: QuerySet[Structure] | None = None) -> Structure:
    """A structure by exact name, by identifier number, or by its own MSSanté domain (a
    shared domain names many structures, so it names none)."""
    shared = PlatformDomain.objects.filter(shared=True).values("name")
    queryset = among if among is not None else Structure.objects.all()
    value = reference.strip()
    compact = value.replace(" ", "")
    match = (
        queryset.filter(name=value).first()
        or queryset.filter(id_number=compact).first()
        or queryset.filter(domain=value.lower()).exclude(domain__in=shared).first()
    )
    if match is None:
        folded = fold(value)
        match = next((s for s in queryset if fold(s.name) == folded), None)
    if match is None:
        raise NotFound(f"Structure « {reference} » introuvable.")
    return match


def require_admin(ctx: Context, structure: Structure, *, include_operator: bool = True) -> None:
    """The actor administers this structure, or is the server itself (CLI, system tasks).

    The platform operator administers every structure (`include_operator=True`), except
    where a rule reserves an action to the structure's own admins: a patient's record is
    opened to partners by the structure that holds it, never by the operator of the
    platform (`include_operator=False`, used by coordination).
    """
    if ctx.is_server:
        return
    if include_operator:
        allowed = structures_for_admin(ctx.user)
    elif ctx.user is None or not ctx.user.is_active:
        allowed = Structure.objects.none()
    else:
        allowed = Structure.objects.filter(admins__user=ctx.user)
    if not allowed.filter(pk=structure.pk).exists():
        raise NotFound("Structure introuvable.")


def admin_scope(ctx: Context) -> QuerySet[Structure]:
    """The structures the actor may act on."""
    if ctx.is_server:
        return Structure.objects.all()
    return structures_for_admin(ctx.user)
