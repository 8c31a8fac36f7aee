"""/healthz, /readyz and /metrics, answered before the rest of the middleware.

They come first so that a probe or a scraper gets its answer whatever the Host header
(probes often use the machine's address), without a session, a redirect to https or a
login page, and never from a cache.

- /healthz: the process answers; touches nothing else. 200 « ok ».
- /readyz: database, storage and task queue reachable (caducee/monitoring/checks.py);
  200 « ok », or 503 naming what failed.
- /metrics: Prometheus text format, with `Authorization: Bearer <CADUCEE_METRICS_TOKEN>`;
  404 when no token is configured (then use CADUCEE_METRICS_HTTP) or the token is wrong.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from caducee.monitoring import checks

HEALTHZ = "/healthz"
READYZ = "/readyz"
METRICS = "/metrics"
PATHS = (HEALTHZ, READYZ, METRICS)
TEXT = "text/plain; charset=utf-8"


class MonitoringMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info.rstrip("/") or "/"
        if path not in PATHS:
            return self.get_response(request)
        if request.method not in {"GET", "HEAD"}:
            response = HttpResponse("Méthode non autorisée\n", status=405, content_type=TEXT)
            response["Allow"] = "GET, HEAD"
        elif path == HEALTHZ:
            response = HttpResponse("ok\n", content_type=TEXT)
        elif path == READYZ:
            response = readiness()
        else:
            response = metrics(request)
        add_never_cache_headers(response)
        return response


def readiness() -> HttpResponse:
    failed = checks.failures()
    if failed:
        return HttpResponse(
            "indisponible : " + ", ".join(failed) + "\n", status=503, content_type=TEXT
        )
    return HttpResponse("ok\n", content_type=TEXT)


def token_matches(request: HttpRequest) -> bool:
    expected = str(settings.METRICS_TOKEN)
    if not expected:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def metrics(request: HttpRequest) -> HttpResponse:
    if not token_matches(request):
        return HttpResponse("Page introuvable\n", status=404, content_type=TEXT)
    from caducee.monitoring.collectors import CONTENT_TYPE, scrape

    return HttpResponse(scrape(), content_type=CONTENT_TYPE)
