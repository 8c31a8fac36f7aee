"""« Rattacher à une autre structure »: choose the structure, read the preview, confirm."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from caducee.accounts.access import access_account
from caducee.accounts.fields import BY_KEY
from caducee.accounts.moves import MovePlan, move_targets
from caducee.accounts.operations import move_account, preview_move
from caducee.console.decorators import console_view, person
from caducee.core.errors import Invalid
from caducee.core.web import web_context
from caducee.structures.access import access_structure
from caducee.structures.models import Structure


def _chosen(request: HttpRequest, targets: list[Structure]) -> Structure | None:
    """The structure picked in the form (GET to preview, POST to confirm), if one of
    `targets`; any other id is ignored (the page shows the choice again)."""
    raw = request.POST.get("structure") or request.GET.get("structure") or ""
    return next((s for s in targets if str(s.pk) == raw), None)


def _changes(plan: MovePlan) -> list[tuple[str, str, str]]:
    return [
        (BY_KEY[key].header if key in BY_KEY else key, before, after)
        for key, (before, after) in plan.changes.items()
    ]


@console_view
@require_http_methods(["GET", "POST"])
def account_move(request: HttpRequest, structure_id: int, account_id: int) -> HttpResponse:
    """« Rattacher à une autre structure »: the structures the actor may move the account
    to; once one is chosen, what will change (the preview); confirming moves it."""
    structure = access_structure(person(request), structure_id)
    account = access_account(person(request), account_id, structure)
    ctx = web_context(request)
    targets = list(move_targets(ctx, account))
    target = _chosen(request, targets)
    context: dict[str, Any] = {
        "structure": structure,
        "account": account,
        "targets": targets,
        "target": target,
        "active": "users",
    }
    if target is None:
        return render(request, "console/accounts/move.html", context)
    try:
        if request.method == "POST":
            plan = move_account(ctx, account, target)
        else:
            plan = preview_move(ctx, account, target)
    except Invalid as exc:
        context["error"] = exc.message
        return render(request, "console/accounts/move.html", context)
    if request.method == "GET":
        context.update(plan=plan, changes=_changes(plan))
        return render(request, "console/accounts/move.html", context)
    moved = plan.account
    address = f" Nouvelle adresse MSSanté : {plan.new_address}." if plan.new_address else ""
    messages.success(request, f"Le compte {moved.email} est rattaché à {target.name}.{address}")
    if plan.detached:
        listed = " ".join(d.message for d in plan.detached)
        messages.warning(request, f"Liens retirés (ils reliaient deux structures) : {listed}")
    for warning in plan.warnings:
        messages.warning(request, warning.message)
    return redirect("console:account", target.pk, moved.pk)
