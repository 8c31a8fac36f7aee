"""The outer seal of external partner accounts, checked on every request.

Whatever other apps' pages do, a person logged in with an external account reaches only:
the coordination pages (which check each record), their own login/security pages, and
static files. Every other page answers 404 (no structure list, no directory of other
structures' staff, no messages); the landing pages send them to their records.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from caducee.api.models import ApiToken
from caducee.coordination.access import is_external
from caducee.core.secrets import digest
from caducee.core.web import not_found_page

# Identity pages about the person themselves (login, code, logout, security, terms).
_OWN_PAGES = (
    "identity:login",
    "identity:code",
    "identity:code_resend",
    "identity:logout",
    "identity:security",
    "identity:totp",
    "identity:totp_disable",
    "identity:password_change",
    "identity:logout_everywhere",
    "identity:cgu",
)
_LANDINGS = ("identity:home", "console:home")


def _paths(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(reverse(name) for name in names)


@cache
def _allowed() -> tuple[frozenset[str], tuple[str, ...], frozenset[str]]:
    exact = _paths(_OWN_PAGES)
    prefixes = (
        reverse("coordination:home"),
        "/" + str(settings.STATIC_URL).lstrip("/"),
        "/securite/",
        "/api/v1/coordination/",
        "/api/v1/me/certificates",  # issue #17: a partner's own login certificates
    )
    landings = _paths(_LANDINGS) | {"/"}
    return exact, prefixes, landings


def _external_bearer(request: HttpRequest) -> bool:
    """An API call with the bearer token of an external account (tokens are stored as their
    `core.secrets.digest`). A read only: `api.tokens.token_row` would stamp its last use."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    return ApiToken.objects.filter(
        token_hash=digest(token.strip()),
        revoked_at__isnull=True,
        user__external_account__isnull=False,
    ).exists()


def sealed_response(request: HttpRequest) -> HttpResponse | None:
    """None when the request may go on; else the answer given to an external account."""
    user = getattr(request, "user", None)
    exact, prefixes, landings = _allowed()
    path = request.path
    if path.startswith("/api/") and not path.startswith(prefixes) and _external_bearer(request):
        return JsonResponse({"detail": "Élément introuvable."}, status=404)
    if user is None or not user.is_authenticated or not is_external(user):  # type: ignore[arg-type]
        return None
    if path in exact or path.startswith(prefixes):
        return None
    if path in landings:
        return redirect("coordination:home")
    return not_found_page(request)


class ExternalSealMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return sealed_response(request) or self.get_response(request)
