"""What the coordination API routes share: the router, the person, paging, look-ups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from ninja import Router

from caducee.coordination import access
from caducee.core.errors import Invalid, NotFound
from caducee.core.web import api_user
from caducee.people.models import User
from caducee.structures.models import Structure

router = Router(tags=["coordination"])

T = TypeVar("T", bound=Model)

# Lists answer one page at a time, like the console: `page=1` (the default), 2, 3…
# A page shorter than its size is the last one.
PAGING = (
    "Réponse paginée : au plus {size} éléments par page ; demandez la suite avec "
    "`page=2`, `page=3`… Une page de moins de {size} éléments est la dernière."
)


def paging(size: int) -> str:
    return PAGING.format(size=size)


def page_of(items: QuerySet[T] | Sequence[T], page: int, size: int) -> list[T]:
    """Page `page` (1 = first; below 1 reads as 1) of at most `size` items."""
    start = (max(page, 1) - 1) * size
    return list(items[start : start + size])


def person(request: HttpRequest) -> User:
    return api_user(request)


def internal_person(request: HttpRequest) -> User:
    """The console's internal-only pages are unknown to an external partner: 404."""
    user = api_user(request)
    if access.is_external(user):
        raise NotFound("Ressource introuvable.")
    return user


def structure(structure_id: int) -> Structure:
    """A structure by id; whether the person may act in it is the operation's decision."""
    found = Structure.objects.filter(pk=structure_id).first()
    if found is None:
        raise NotFound("Structure introuvable.")
    return found


def readable_structure(user: User, structure_id: int, permission: str) -> Structure:
    """A structure where this person holds `permission` (as the console's pickers); 404."""
    for candidate in access.structures_with(user, permission):
        if candidate.pk == structure_id:
            return candidate
    raise NotFound("Structure introuvable.")


def too_large(exc: Invalid) -> bool:
    """The operation refused a file on its size (answered 413, not 422)."""
    return any(p.code == "too_large" for p in exc.problems)
