"""Web adapters for login, first-run setup and password links."""

from __future__ import annotations

import ipaddress

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound
from caducee.identity import links
from caducee.identity.models import LinkPurpose
from caducee.identity.operations import create_first_operator, set_password_with_link


def client_ip(request: HttpRequest) -> str | None:
    value = request.META.get("REMOTE_ADDR") or None
    return str(value) if value else None


def web_context(request: HttpRequest) -> Context:
    user = request.user if request.user.is_authenticated else None
    return Context(user=user, ip=client_ip(request), channel="web")  # type: ignore[arg-type]


def _is_loopback(request: HttpRequest) -> bool:
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    error = ""
    email = ""
    if request.method == "POST":
        email = request.POST.get("email", "").strip().lower()
        password = request.POST.get("password", "")
        user = authenticate(request, username=email, password=password)
        if user is None:
            error = "Adresse mail ou mot de passe incorrect."
        else:
            login(request, user)
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = reverse("console:home")
            return redirect(target)
    return render(request, "identity/login.html", {"error": error, "email": email})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("identity:login")


@require_http_methods(["GET", "POST"])
def setup_view(request: HttpRequest, token: str) -> HttpResponse:
    if not _is_loopback(request):
        return render(
            request,
            "identity/link_invalid.html",
            {
                "reason": "Ce lien ne s'ouvre que depuis la machine qui héberge Caducée.",
            },
            status=403,
        )
    if links.find_valid(LinkPurpose.SETUP, token) is None:
        return _dead_link(request, LinkPurpose.SETUP, token)
    problems: list[object] = []
    form = {k: request.POST.get(k, "") for k in ("email", "first_name", "last_name")}
    if request.method == "POST":
        try:
            user = create_first_operator(
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
            return redirect("console:home")
    return render(request, "identity/setup.html", {"form": form, "problems": problems})


@require_http_methods(["GET", "POST"])
def set_password_view(request: HttpRequest, token: str) -> HttpResponse:
    link = links.find_valid(LinkPurpose.SET_PASSWORD, token)
    if link is None:
        return _dead_link(request, LinkPurpose.SET_PASSWORD, token)
    problems: list[object] = []
    if request.method == "POST":
        try:
            user = set_password_with_link(
                web_context(request),
                token,
                request.POST.get("password", ""),
                request.POST.get("confirm", ""),
            )
        except Invalid as exc:
            problems = list(exc.problems)
        except NotFound:
            return _dead_link(request, LinkPurpose.SET_PASSWORD, token)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("console:home")
    return render(
        request,
        "identity/set_password.html",
        {
            "email": link.user.email if link.user else "",
            "problems": problems,
        },
    )


def _dead_link(request: HttpRequest, purpose: str, token: str) -> HttpResponse:
    state = links.link_state(purpose, token)
    reasons = {
        "used": "Ce lien a déjà été utilisé.",
        "expired": "Ce lien a expiré.",
        "unknown": "Ce lien n'est pas valable.",
    }
    advice = (
        "Lancez « caducee setup-link » sur le serveur pour obtenir un nouveau lien."
        if purpose == LinkPurpose.SETUP
        else "Demandez à l'administrateur de votre structure de vous renvoyer un lien."
    )
    return render(
        request,
        "identity/link_invalid.html",
        {
            "reason": reasons.get(state, reasons["unknown"]),
            "advice": advice,
        },
        status=410 if state in {"used", "expired"} else 404,
    )
