"""How every console view is guarded: login first, then one access helper, 404 on NotFound.

Views stay thin: they call `caducee.structures.access.access_structure` or
`caducee.accounts.access.access_account`, which raise `NotFound` for anything the person
may not see; `console_view` turns that (and `Forbidden`) into the French 404 page, so a
structure of someone else looks exactly like a structure that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from caducee.console.errors import not_found
from caducee.core.errors import Forbidden, NotFound
from caducee.people.models import User

P = ParamSpec("P")


def console_view(view: Callable[Concatenate[HttpRequest, P], HttpResponse]) -> Any:
    """Login required; NotFound or Forbidden raised by access helpers or operations → 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (NotFound, Forbidden) as exc:
            return not_found(request, exc)

    return login_required(wrapper)


def person(request: HttpRequest) -> User:
    """The logged-in person (console views are behind `console_view`)."""
    user = request.user
    assert isinstance(user, User)
    return user


def require_operator(request: HttpRequest) -> User:
    """Operator-only pages answer 404 to anyone else, like every other access check."""
    user = person(request)
    if not (user.is_active and user.is_operator):
        raise NotFound("Page réservée à l'opérateur de la plateforme.")
    return user
