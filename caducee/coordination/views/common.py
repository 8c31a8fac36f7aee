"""What every coordination page shares: login, error mapping, the person, the side menu."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from caducee.coordination import access
from caducee.coordination.permissions import EXTERNAL_CREATE, RECORD_READ
from caducee.core.errors import Forbidden, NotFound
from caducee.people.models import User
from caducee.structures.models import Structure

P = ParamSpec("P")


def _error(request: HttpRequest, title: str, text: str, status: int) -> HttpResponse:
    return render(request, "errors/error.html", {"title": title, "text": text}, status=status)


def not_found(request: HttpRequest) -> HttpResponse:
    return _error(
        request,
        "Page introuvable",
        "Cette page n'existe pas ou vous n'y avez pas accès.",
        404,
    )


def coordination_view(view: Callable[Concatenate[HttpRequest, P], HttpResponseBase]) -> Any:
    """Login required; NotFound → 404 page; Forbidden → 403 page with its French reason."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            response = view(request, *args, **kwargs)
        except NotFound:
            return not_found(request)
        except Forbidden as exc:
            if access.is_external(person(request)):
                return not_found(request)
            return _error(request, "Action non autorisée", exc.message, 403)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    return wrapper


def internal_only(view: Callable[..., HttpResponseBase]) -> Any:
    """Pages an external partner must not even know about: 404 for them."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if access.is_external(person(request)):
            raise NotFound("Page introuvable.")
        return view(request, *args, **kwargs)

    return coordination_view(wrapper)


def person(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def pick_structure(request: HttpRequest, structures: Sequence[Structure]) -> Structure:
    """The structure chosen with ?structure=<id> among those allowed (first by default)."""
    if not structures:
        raise NotFound("Aucune structure.")
    wanted = request.GET.get("structure") or request.POST.get("structure") or ""
    if wanted.isdigit():
        for structure in structures:
            if structure.pk == int(wanted):
                return structure
        raise NotFound("Structure introuvable.")
    return structures[0]


def menu(request: HttpRequest, active: str) -> dict[str, Any]:
    """Side menu entries for this person (computed here, not in templates)."""
    user = person(request)
    external = access.external_of(user)
    entries: list[tuple[str, str, str]] = [("records", "coordination:home", "Dossiers usagers")]
    if external is None:
        if access.structures_with(user, RECORD_READ):
            entries.append(("contacts", "coordination:contacts", "Annuaire"))
        administers = user.admin_roles.exists()
        if administers:
            entries.append(("profiles", "coordination:profiles", "Profils de droits"))
            entries.append(("members", "coordination:members", "Droits d'accès"))
        if (
            administers
            or access.external_accounts_for(user).exists()
            or access.structures_with(user, EXTERNAL_CREATE)
        ):
            entries.append(("externals", "coordination:externals", "Comptes externes"))
    return {
        "menu_entries": entries,
        "menu_active": active,
        "external": external,
    }
