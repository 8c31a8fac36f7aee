"""Pages opened from a single-use link: forgotten password, password links, finalisation,
first-run setup — and the page of a dead link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from caducee.core.client_address import client_is_local
from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound
from caducee.core.headers import no_store
from caducee.core.web import anonymous_context, web_context
from caducee.identity import cgu, links, sessions
from caducee.identity import operations as ops
from caducee.identity.models import LinkPurpose


@require_http_methods(["GET", "POST"])
def forgot_view(request: HttpRequest) -> HttpResponse:
    sent = False
    email = ""
    if request.method == "POST":
        email = request.POST.get("email", "").strip().lower()
        if email:
            ops.request_password_reset(anonymous_context(request, email), email)
            sent = True
    return render(
        request,
        "identity/forgot.html",
        {"sent": sent, "email": email, "minutes": settings.RESET_LINK_MINUTES},
    )


PasswordOperation = Callable[[Context, str, str, str], object]


def _password_link_page(
    request: HttpRequest,
    purpose: str,
    token: str,
    ctx: Context,
    operation: PasswordOperation,
    done: str,
    **extra: Any,
) -> HttpResponse:
    """A page where the holder of a password link (reset or set) chooses the password."""
    link = links.find_valid(purpose, token)
    if link is None:
        return _dead_link(request, purpose, token)
    problems: list[object] = []
    if request.method == "POST":
        try:
            operation(ctx, token, request.POST.get("password", ""), request.POST.get("confirm", ""))
        except Invalid as exc:
            problems = list(exc.problems)
        except NotFound:
            return _dead_link(request, purpose, token)
        else:
            messages.success(request, done)
            return redirect("identity:login")
    return render(
        request,
        "identity/set_password.html",
        {"email": link.user.email if link.user else "", "problems": problems, **extra},
    )


@no_store
@require_http_methods(["GET", "POST"])
def reset_view(request: HttpRequest, token: str) -> HttpResponse:
    return _password_link_page(
        request,
        LinkPurpose.RESET,
        token,
        anonymous_context(request),
        ops.reset_password,
        "Votre mot de passe est changé : connectez-vous.",
        reset=True,
    )


@no_store
@require_http_methods(["GET", "POST"])
def set_password_view(request: HttpRequest, token: str) -> HttpResponse:
    return _password_link_page(
        request,
        LinkPurpose.SET_PASSWORD,
        token,
        web_context(request),
        ops.set_password_with_link,
        "Votre mot de passe est enregistré : connectez-vous.",
    )


@no_store
@require_http_methods(["GET", "POST"])
def finalise_view(request: HttpRequest, token: str) -> HttpResponse:
    account = ops.finalisation_account(token)
    if account is None:
        return _dead_link(request, LinkPurpose.FINALISE, token)
    form = {key: getattr(account, key) for key in ops.FINALISE_FIELDS}
    problems: list[Any] = []
    accepted = False
    if request.method == "POST":
        form = {key: request.POST.get(key, "") for key in ops.FINALISE_FIELDS}
        accepted = request.POST.get("cgu") == cgu.current_version()
        try:
            ops.finalise_account(
                anonymous_context(request, account.email),
                token,
                form,
                request.POST.get("password", ""),
                request.POST.get("confirm", ""),
                request.POST.get("cgu", ""),
            )
        except Invalid as exc:
            problems = list(exc.problems)
        except NotFound:
            return _dead_link(request, LinkPurpose.FINALISE, token)
        else:
            messages.success(
                request,
                "Votre compte est finalisé. Connectez-vous avec votre adresse mail et votre "
                "nouveau mot de passe.",
            )
            return redirect(f"{reverse('identity:login')}?email={account.email}")
    errors = {p.field: p.message for p in problems}
    return render(
        request,
        "identity/finalise.html",
        {
            "account": account,
            "form": form,
            "problems": problems,
            "errors": errors,
            "cgu_version": cgu.current_version(),
            "cgu_text": cgu.text(),
            "accepted": accepted,
        },
    )


@no_store
@require_http_methods(["GET", "POST"])
def setup_view(request: HttpRequest, token: str) -> HttpResponse:
    if not client_is_local(request):
        return render(
            request,
            "identity/link_invalid.html",
            {"reason": "Ce lien ne s'ouvre que depuis la machine qui héberge Caducée."},
            status=403,
        )
    if links.find_valid(LinkPurpose.SETUP, token) is None:
        return _dead_link(request, LinkPurpose.SETUP, token)
    problems: list[object] = []
    form = {k: request.POST.get(k, "") for k in ("email", "first_name", "last_name")}
    if request.method == "POST":
        try:
            user = ops.create_first_operator(
                web_context(request),
                token,
                form["email"],
                form["first_name"],
                form["last_name"],
                request.POST.get("password", ""),
                request.POST.get("confirm", ""),
            )
        except Invalid as exc:
            problems = list(exc.problems)
        except NotFound:
            return _dead_link(request, LinkPurpose.SETUP, token)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            sessions.stamp(request.session, user)
            return redirect("console:home")
    return render(request, "identity/setup.html", {"form": form, "problems": problems})


_DEAD_REASONS = {
    "used": "Ce lien a déjà été utilisé.",
    "expired": "Ce lien a expiré.",
    "unknown": "Ce lien n'est pas valable.",
    "valid": "Ce compte n'attend plus de finalisation.",
}
_DEAD_ADVICE: dict[str, str] = {
    LinkPurpose.SETUP: "Lancez « caducee setup-link » sur le serveur pour obtenir un nouveau lien.",
    LinkPurpose.RESET: (
        "Demandez un nouveau lien avec « Mot de passe oublié ? » sur la page de connexion."
    ),
    LinkPurpose.FINALISE: (
        "Demandez à l'administrateur de votre structure de vous renvoyer un lien de "
        "finalisation. Si vous avez déjà finalisé votre compte, connectez-vous simplement."
    ),
}


def _dead_link(request: HttpRequest, purpose: str, token: str) -> HttpResponse:
    """Why this link no longer opens (used 410, expired 410, else 404) and what to do."""
    state = links.link_state(purpose, token)
    advice = _DEAD_ADVICE.get(
        purpose, "Demandez à l'administrateur de votre structure de vous renvoyer un lien."
    )
    return render(
        request,
        "identity/link_invalid.html",
        {"reason": _DEAD_REASONS.get(state, _DEAD_REASONS["unknown"]), "advice": advice},
        status=410 if state in {"used", "expired"} else 404,
    )
