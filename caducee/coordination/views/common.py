"""What every coordination page shares: login and error mapping (`core.web.guarded`), the
chosen structure, the side menu."""

from __future__ import annotations

from collections.abc import Sequence
from functools import wraps
from typing import Any, ParamSpec

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from caducee.coordination import access
from caducee.coordination.permissions import EXTERNAL_CREATE, RECORD_READ
from caducee.core.errors import NotFound
from caducee.core.web import View, guarded, person
from caducee.people.models import User
from caducee.structures.models import Structure

P = ParamSpec("P")


def _forbidden_status(request: HttpRequest) -> int:
    """A refusal is a 404 for an external partner (nothing exists beyond their records),
    a 403 with its French reason for anyone else."""
    user = request.user
    return 404 if isinstance(user, User) and access.is_external(user) else 403


def coordination_view(view: View[P]) -> View[P]:
    """Login required; NotFound → 404 page; Forbidden → 403 page with its French reason
    (404 for an external partner); pages never cached (they show health data)."""
    return guarded(forbidden_as=_forbidden_status, no_store=True)(view)


def internal_only(view: View[P]) -> View[P]:
    """Pages an external partner must not even know about: 404 for them."""

    @wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if access.is_external(person(request)):
            raise NotFound("Page introuvable.")
        return view(request, *args, **kwargs)

    return coordination_view(wrapper)


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
