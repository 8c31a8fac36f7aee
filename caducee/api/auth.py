"""API authentication: `Authorization: Bearer cad_…` tokens, or the console session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from caducee.api.tokens import user_for_token
from caducee.core.context import Context
from caducee.identity.views import client_ip
from caducee.people.models import User


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class ConsoleSession(APIKeyCookie):
    """The browser's session cookie (CSRF checked), for the console's own calls."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


def api_context(request: HttpRequest) -> Context:
    user = request.auth  # type: ignore[attr-defined]
    return Context(user=user, ip=client_ip(request), channel="api")
