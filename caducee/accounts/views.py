"""The public page of an email-change confirmation link (opened from the new address)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from caducee.accounts.email_changes import change_for_token, confirm_email_change
from caducee.core.client_address import client_address
from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound


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
