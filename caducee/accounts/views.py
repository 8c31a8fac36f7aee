"""The public page of an email-change confirmation link (opened from the new address), and
« Mon adresse mail »: a person asks for (or cancels) the change of their own login."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from caducee.accounts.email_changes import (
    LINK_DAYS,
    cancel_email_change,
    change_for_token,
    confirm_email_change,
    request_own_email_change,
)
from caducee.accounts.models import Account, EmailChangeRequest
from caducee.core.client_address import client_address
from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.core.web import guarded, person, web_context


def _dead(request: HttpRequest, reason: str) -> HttpResponse:
    return render(
        request,
        "identity/link_invalid.html",
        {
            "reason": reason,
            "advice": "Demandez à l'administrateur de votre structure de vous renvoyer un lien "
            "depuis « Demandes de changement de mail ».",
        },
        status=410,
    )


@require_http_methods(["GET", "POST"])
def email_change_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what will change; only the POST of the button applies it (link previews
    and mail scanners open links without pressing buttons)."""
    change = change_for_token(token)
    if change is None:
        return _dead(
            request, "Ce lien de confirmation n'est pas valable, a expiré ou a déjà servi."
        )
    error = ""
    if request.method == "POST":
        ctx = Context(
            user=None,
            ip=client_address(request),
            channel="web",
            label=f"anonyme ({change.new_email})"[:254],
        )
        try:
            account = confirm_email_change(ctx, token)
        except NotFound:
            return _dead(request, "Ce lien de confirmation a déjà servi.")
        except Invalid as exc:
            error = exc.message
        else:
            messages.success(
                request,
                f"Votre adresse est confirmée : le compte utilise maintenant {account.email}.",
            )
            return redirect(f"{reverse('identity:login')}?email={account.email}")
    return render(
        request,
        "accounts/email_change_confirm.html",
        {"change": change, "account": change.account, "error": error},
    )


def _own_pending(account: Account | None) -> EmailChangeRequest | None:
    if account is None:
        return None
    return account.email_changes.filter(status=EmailChangeRequest.Status.PENDING).first()


@guarded()
@require_http_methods(["GET", "POST"])
def my_email_view(request: HttpRequest) -> HttpResponse:
    """« Mon adresse mail »: the person's login, their pending request, a form for a new one."""
    account = Account.objects.filter(user=person(request)).select_related("structure").first()
    problems: list[Problem] = []
    if request.method == "POST":
        try:
            change = request_own_email_change(
                web_context(request),
                request.POST.get("new_email", ""),
                request.POST.get("password", ""),
            )
        except Invalid as exc:
            problems = exc.errors() or [Problem("new_email", "invalid", exc.message)]
        else:
            messages.success(
                request,
                f"Demande enregistrée : ouvrez le lien envoyé à {change.new_email} pour "
                "confirmer. Votre adresse actuelle est prévenue.",
            )
            return redirect("accounts:my_email")
    return render(
        request,
        "accounts/my_email.html",
        {
            "account": account,
            "pending": _own_pending(account),
            "problems": problems,
            "new_email": request.POST.get("new_email", ""),
            "days": LINK_DAYS,
        },
    )


@guarded()
@require_POST
def my_email_cancel_view(request: HttpRequest) -> HttpResponse:
    """« Annuler ma demande »."""
    account = Account.objects.filter(user=person(request)).first()
    change = _own_pending(account)
    if change is None:
        raise NotFound("Aucune demande de changement de mail en attente.")
    cancel_email_change(web_context(request), change)
    messages.success(
        request, f"Votre demande est annulée : l'adresse reste {change.account.email}."
    )
    return redirect("accounts:my_email")
