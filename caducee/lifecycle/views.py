"""Console actions of the account lifecycle: the inactivity exemption (set, removed) and the
export of inactive mailboxes. The account page shows the rest (`account_block`)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from caducee.accounts.access import access_account
from caducee.accounts.models import Account
from caducee.console.decorators import console_view, person
from caducee.core.errors import Invalid
from caducee.core.web import web_context
from caducee.lifecycle.operations import (
    exempt_from_inactivity,
    export_inactive,
    remove_inactivity_exemption,
)
from caducee.lifecycle.status import lifecycle_status
from caducee.structures.access import access_structure


def account_block(account: Account) -> dict[str, Any]:
    """The context of the account page's « Péremption et inactivité » block."""
    return {"lifecycle": lifecycle_status(account)}


def _account(request: HttpRequest, structure_id: int, account_id: int) -> Account:
    structure = access_structure(person(request), structure_id)
    return access_account(person(request), account_id, structure)


def _back(account: Account) -> HttpResponse:
    response = redirect("console:account", account.structure_id, account.pk)
    response["Location"] += "#cycle-de-vie"
    return response


@console_view
@require_POST
def exempt(request: HttpRequest, structure_id: int, account_id: int) -> HttpResponse:
    """« Exempter de la suppression pour inactivité »."""
    account = _account(request, structure_id, account_id)
    try:
        exempt_from_inactivity(web_context(request), account, request.POST.get("reason", ""))
    except Invalid as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{account.email} est exempté de la suppression pour inactivité.")
    return _back(account)


@console_view
@require_POST
def unexempt(request: HttpRequest, structure_id: int, account_id: int) -> HttpResponse:
    """« Retirer l'exemption »."""
    account = _account(request, structure_id, account_id)
    remove_inactivity_exemption(web_context(request), account)
    messages.success(
        request, f"{account.email} n'est plus exempté de la suppression pour inactivité."
    )
    return _back(account)


@console_view
@require_GET
def export(request: HttpRequest, structure_id: int, fmt: str) -> HttpResponse:
    """« Exporter la liste des comptes inactifs supprimés depuis 6 mois (et prochainement
    supprimés) », CSV or XLSX."""
    structure = access_structure(person(request), structure_id)
    try:
        result = export_inactive(web_context(request), structure, fmt)
    except Invalid as exc:
        messages.error(request, exc.message)
        return redirect("console:accounts", structure.pk)
    response = HttpResponse(result.data, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
