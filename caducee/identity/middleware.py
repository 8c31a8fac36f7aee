"""Ends sessions that were idle too long, lived too long, or were closed everywhere;
holds a person on the CGU page until they accept a new version."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from caducee.identity import sessions
from caducee.identity.login_flow import CGU_PENDING
from caducee.people.models import User

CGU_FREE_PATHS = ("/cgu/", "/deconnexion/", "/static/", "/api/")


class SessionLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if isinstance(user, User) and user.is_authenticated and hasattr(request, "session"):
            reason = sessions.verdict(request.session, user)
            if reason is not None:
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)  # now anonymous: the API answers 401
                query = {"fin": reason}
                if request.method == "GET":
                    query["next"] = request.get_full_path()
                url = f"{reverse('identity:login')}?{urlencode(query)}"
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = url
                    return response
                return HttpResponseRedirect(url)
            if request.session.get(CGU_PENDING) and not request.path.startswith(CGU_FREE_PATHS):
                return HttpResponseRedirect(reverse("identity:cgu"))
        return self.get_response(request)
