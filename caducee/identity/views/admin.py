"""Console actions of identity: remind pre-registered users, the last reminder, resend one
link, reset a lost second factor. Access goes through the structure/account access helpers
(another structure's object answers 404 under `guarded`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from caducee.accounts.access import access_account
from caducee.core.errors import Forbidden, Invalid, NotFound
from caducee.core.web import guarded, person, safe_next, web_context
from caducee.identity import operations as ops
from caducee.structures.access import access_structure


def _back(request: HttpRequest, default: str) -> HttpResponse:
    return redirect(safe_next(request, request.POST.get("next", "")) or default)


@guarded()
@require_POST
def remind_view(request: HttpRequest, structure_id: int) -> HttpResponse:
    structure = access_structure(person(request), structure_id)
    reminder = ops.remind_preregistered(web_context(request), structure)
    count = len(reminder.accounts)
    if count:
        plural = "s" if count > 1 else ""
        messages.success(
            request,
            f"Un nouveau lien de finalisation a été envoyé à {count} utilisateur{plural} "
            f"préinscrit{plural}.",
        )
    else:
        messages.info(request, "Aucun utilisateur préinscrit à relancer dans cette structure.")
    return _back(request, reverse("identity:last_reminder", args=[structure.pk]))


@guarded()
def last_reminder_view(request: HttpRequest, structure_id: int) -> HttpResponse:
    structure = access_structure(person(request), structure_id)
    return render(
        request,
        "identity/last_reminder.html",
        {"structure": structure, "reminder": ops.last_reminder(structure)},
    )


@guarded()
@require_POST
def resend_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = access_account(person(request), account_id)
    try:
        ops.resend_invitation(web_context(request), account)
    except Invalid as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Un nouveau lien de finalisation a été envoyé à {account.email}."
        )
    return _back(request, reverse("console:home"))


@guarded()
@require_POST
def second_factor_reset_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = access_account(person(request), account_id)
    if account.user is None:
        raise NotFound("Compte introuvable.")
    try:
        ops.reset_second_factor(web_context(request), account.user)
    except (Invalid, Forbidden) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Le second facteur de {account.email} est réinitialisé : ses codes de connexion "
            "lui seront envoyés par mail, et ses sessions, mots de passe d'application et "
            "jetons d'API sont révoqués.",
        )
    return _back(request, reverse("console:home"))
