"""« Propositions de collègues »: colleagues proposed on ORG mailboxes by their users
(issue #15 point 8), approved or refused by the structure's admins, and the structure's
setting that lets them be added without validation."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from caducee.accounts.colleagues import find_proposal, structure_proposals
from caducee.accounts.models import ColleagueProposal
from caducee.accounts.operations import (
    approve_colleague_proposal,
    refuse_colleague_proposal,
    set_colleague_policy,
)
from caducee.console.decorators import console_view, person
from caducee.core.errors import Invalid
from caducee.core.web import web_context
from caducee.structures.access import access_structure

HISTORY = 50


@console_view
def colleague_proposals(request: HttpRequest, structure_id: int) -> HttpResponse:
    structure = access_structure(person(request), structure_id)
    rows = structure_proposals(structure)
    pending = ColleagueProposal.Status.PENDING
    return render(
        request,
        "console/colleagues/proposals.html",
        {
            "structure": structure,
            "pending": list(rows.filter(status=pending)),
            "history": list(rows.exclude(status=pending)[:HISTORY]),
            "active": "colleagues",
        },
    )


def _back(structure_id: int) -> HttpResponse:
    return redirect("console:colleague_proposals", structure_id)


@console_view
@require_POST
def colleague_proposal_approve(
    request: HttpRequest, structure_id: int, proposal_id: int
) -> HttpResponse:
    structure = access_structure(person(request), structure_id)
    proposal = find_proposal(structure, proposal_id)
    try:
        approve_colleague_proposal(web_context(request), proposal)
    except Invalid as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"{proposal.colleague.email} est maintenant compte de connexion de "
            f"{proposal.mailbox.email}.",
        )
    return _back(structure.pk)


@console_view
@require_POST
def colleague_proposal_refuse(
    request: HttpRequest, structure_id: int, proposal_id: int
) -> HttpResponse:
    structure = access_structure(person(request), structure_id)
    proposal = find_proposal(structure, proposal_id)
    try:
        refuse_colleague_proposal(web_context(request), proposal, request.POST.get("reason", ""))
    except Invalid as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Proposition refusée : {proposal.colleague.email} n'est pas ajouté."
        )
    return _back(structure.pk)


@console_view
@require_POST
def colleague_policy(request: HttpRequest, structure_id: int) -> HttpResponse:
    structure = access_structure(person(request), structure_id)
    allowed = request.POST.get("colleagues_without_validation") == "on"
    set_colleague_policy(web_context(request), structure, allowed)
    messages.success(
        request,
        "Les collègues proposés sont désormais ajoutés sans validation."
        if allowed
        else "Les collègues proposés attendent désormais la validation d'un administrateur.",
    )
    return _back(structure.pk)
