"""How every console view is guarded: login first, then one access helper, 404 on refusal.

Views stay thin: they call `caducee.structures.access.access_structure` or
`caducee.accounts.access.access_account`, which raise `NotFound` for anything the person
may not see; `console_view` (the project's one error decorator, `core.web.guarded`) turns
that, and `Forbidden`, into the French 404 page, so a structure of someone else looks
exactly like a structure that does not exist.
"""

from __future__ import annotations

from typing import ParamSpec

from django.http import HttpRequest

from caducee.core.errors import NotFound
from caducee.core.web import View, guarded, person
from caducee.people.models import User

P = ParamSpec("P")

__all__ = ["console_view", "person", "require_operator"]


def console_view(view: View[P]) -> View[P]:
    """Login required; NotFound or Forbidden raised by access helpers or operations → 404."""
    return guarded(forbidden_as=404)(view)


def require_operator(request: HttpRequest) -> User:
    """Operator-only pages answer 404 to anyone else, like every other access check."""
    user = person(request)
    if not (user.is_active and user.is_operator):
        raise NotFound("Page réservée à l'opérateur de la plateforme.")
    return user
