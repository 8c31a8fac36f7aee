"""One access-log line and the request metrics for every HTTP request.

The outermost middleware, so that its duration covers the whole answer (static files
included). The logged path hides what could carry a secret: the value of every URL
argument named like a token, and every query-string value (their names are kept).
The monitoring endpoints are logged only when they do not answer 200, so that probes
every few seconds do not drown the log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.parse import parse_qsl, quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from caducee.core.client_address import client_address as client_ip
from caducee.monitoring import metrics
from caducee.monitoring.endpoints import PATHS as MONITORING_PATHS
from caducee.monitoring.logs import ACCESS_LOGGER

log = logging.getLogger(ACCESS_LOGGER)

SECRET_ARGUMENTS = ("token", "key", "secret", "code", "password")
HIDDEN = "…"


class AccessLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - start
        route = route_name(request)
        metrics.http_request(request.method or "", route, response.status_code, seconds)
        if settings.ACCESS_LOG and (
            response.status_code != 200 or request.path_info.rstrip("/") not in MONITORING_PATHS
        ):
            log.info(
                '%s %s %s %.1fms %s "%s"',
                client_ip(request) or "-",
                request.method,
                logged_path(request),
                seconds * 1000,
                response.status_code,
                route,
                extra={
                    "client_ip": client_ip(request) or "",
                    "method": request.method,
                    "path": logged_path(request),
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                    "route": route,
                },
            )
        return response


def route_name(request: HttpRequest) -> str:
    """A bounded label for the request: the URL pattern's name, else its route."""
    path = request.path_info.rstrip("/")
    if path in MONITORING_PATHS:
        return path.lstrip("/")
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return str(match.view_name or match.route or "unnamed")
    if request.path.startswith("/" + str(settings.STATIC_URL).strip("/") + "/"):
        return "static"
    return "unmatched"


def logged_path(request: HttpRequest) -> str:
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is not None:
        for name, value in match.kwargs.items():
            if any(word in name.lower() for word in SECRET_ARGUMENTS) and str(value):
                path = path.replace(quote(str(value), safe="/:@!$&'()*+,;="), HIDDEN)
                path = path.replace(str(value), HIDDEN)
    query = request.META.get("QUERY_STRING", "")
    if query:
        names = [name for name, _ in parse_qsl(query, keep_blank_values=True)]
        path += "?" + "&".join(f"{quote(name)}={HIDDEN}" for name in names)
    return path
