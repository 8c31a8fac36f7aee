"""The web-adapter kit: what every view and API route needs from a request, written once.

- `client_ip`, `web_context`, `anonymous_context`: who acts and from where;
- `person` (a console/view page behind login) and `api_user` (an authenticated API route):
  the logged-in person, typed;
- `safe_next`: a ?next= target only when it stays on this site;
- `guarded`: login first, then the operations layer's errors become French pages — NotFound
  always a 404, Forbidden a 404 by default (an object one may not touch looks like one that
  does not exist) or a 403 with its reason where the page is known to exist.

Views stay thin adapters: they call an access helper or an operation and let `guarded`
translate what it raises; they never build a `Context` or an error page themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from caducee.core.client_address import client_address
from caducee.core.context import Context
from caducee.core.errors import Forbidden, NotFound
from caducee.people.models import User

if TYPE_CHECKING:
    from caducee.accounts.models import Account

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponseBase]

NOT_FOUND_TITLE = "Page introuvable"
NOT_FOUND_TEXT = "Cette page n'existe pas ou vous n'y avez pas accès."
FORBIDDEN_TITLE = "Action non autorisée"


def client_ip(request: HttpRequest) -> str | None:
    """The client's address (forwarded headers honoured only from trusted proxies)."""
    return client_address(request)


def person(request: HttpRequest) -> User:
    """The logged-in person of a page behind `guarded` (or `login_required`)."""
    user = request.user
    if not isinstance(user, User):
        raise NotFound("Page introuvable.")
    return user


def api_user(request: HttpRequest) -> User:
    """The person an API route was authenticated as (bearer token or console session)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        user = request.user
    if not isinstance(user, User):
        raise NotFound("Ressource introuvable.")
    return user


def web_context(request: HttpRequest, acting_as: Account | None = None) -> Context:
    """The context of a web request: the logged-in person (if any) and the client's IP."""
    user = request.user if isinstance(request.user, User) else None
    return Context(user=user, acting_as=acting_as, ip=client_ip(request), channel="web")


def anonymous_context(request: HttpRequest, email: str = "") -> Context:
    """The context of a visitor not logged in (login, password reset…), labelled for audit."""
    label = f"anonyme ({email})" if email else "anonyme"
    return Context(user=None, ip=client_ip(request), channel="web", label=label[:254])


def safe_next(request: HttpRequest, target: str) -> str:
    """`target` when it is a URL of this site (same host, https kept), else ''."""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def attachment(handle: Any, filename: str, content_type: str) -> FileResponse:
    """A file to download (never shown inline, its type never sniffed by the browser)."""
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def error_page(request: HttpRequest, title: str, text: str, status: int) -> HttpResponse:
    """The French error page (no external resource, never a stack trace). It shows none of
    the session's pending notices, and so does not use them up: an error often answers a
    request the person did not make themselves (an icon, a prefetch), and the notice
    (« Vous êtes déconnecté ») must still reach the next page."""
    context = {"title": title, "text": text, "messages": ()}
    return render(request, "errors/error.html", context, status=status)


def not_found_page(request: HttpRequest) -> HttpResponse:
    return error_page(request, NOT_FOUND_TITLE, NOT_FOUND_TEXT, 404)


def guarded(
    *,
    forbidden_as: int | Callable[[HttpRequest], int] = 404,
    login: bool = True,
    no_store: bool = False,
) -> Callable[[View[P]], View[P]]:
    """Login (unless `login=False`), then NotFound → 404 page, Forbidden → 404 or 403 page.

    `forbidden_as` is 404 (the default: the object stays hidden), 403 (the page is known to
    the person and the refusal's French reason is shown), or a function of the request that
    chooses (coordination hides its pages from external partners with a 404).
    `no_store` adds `Cache-Control: no-store` (pages showing health data).
    """

    def decorate(view: View[P]) -> View[P]:
        @wraps(view)
        def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            if login and not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                response = view(request, *args, **kwargs)
            except NotFound:
                return not_found_page(request)
            except Forbidden as exc:
                status = forbidden_as(request) if callable(forbidden_as) else forbidden_as
                if status == 404:
                    return not_found_page(request)
                return error_page(request, FORBIDDEN_TITLE, exc.message, status)
            if no_store:
                response.headers.setdefault("Cache-Control", "no-store")
            return response

        return wrapper

    return decorate
