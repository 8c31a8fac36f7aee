"""API authentication: `Authorization: Bearer cad_…` tokens, or the console session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from caducee.api import tokens
from caducee.core.client_address import client_address
from caducee.core.context import Context
from caducee.core.errors import Forbidden
from caducee.core.web import api_user
from caducee.identity import throttle
from caducee.people.models import User


class Throttled(Exception):
    """Too many bad tokens from this address: answer 429 with a French message."""

    def __init__(self, refusal: throttle.Refusal) -> None:
        super().__init__(throttle.french_wait(refusal))
        self.message = throttle.french_wait(refusal)
        self.seconds = refusal.seconds


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        ip = client_address(request)
        refusal = tokens.refusal_for(ip)
        if refusal is not None:
            raise Throttled(refusal)
        row = tokens.token_row(token)
        if row is None:
            tokens.token_failed(ip, token)
            return None
        if row.read_only and request.method not in tokens.SAFE_METHODS:
            raise Forbidden(tokens.READ_ONLY_REFUSAL)
        request.user = row.user
        return row.user


class ConsoleSession(APIKeyCookie):
    """The browser's session cookie (CSRF checked), for the console's own calls."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


def api_context(request: HttpRequest) -> Context:
    """The context of an authenticated API request: the token's (or session's) person."""
    return Context(user=api_user(request), ip=client_address(request), channel="api")
