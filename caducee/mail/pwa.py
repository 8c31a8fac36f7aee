"""The webmail as an installable web app (issue #18 point 5): its manifest.

Served at /messagerie/manifest.webmanifest with the type `application/manifest+json`,
without login (browsers fetch a manifest without the session cookie), linked from every
page (`<link rel="manifest">` in base.html). The icons are PNG files drawn once by
deploy/pwa_icons.py and committed under caducee/static/caducee/icons/.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

THEME_COLOR = "#1d4f91"  # --blue of console.css, also in base.html's <meta name="theme-color">
BACKGROUND_COLOR = "#f6f8fa"


def manifest_data() -> dict[str, object]:
    icons = [
        ("caducee/icons/icon-192.png", "192x192", "any"),
        ("caducee/icons/icon-512.png", "512x512", "any"),
        ("caducee/icons/icon-maskable-512.png", "512x512", "maskable"),
    ]
    return {
        "id": reverse("mail:home"),
        "name": "Caducée — Messagerie sécurisée de santé",
        "short_name": "Caducée",
        "description": "Messagerie sécurisée de santé MSSanté et annuaire des correspondants.",
        "lang": "fr",
        "dir": "ltr",
        "start_url": reverse("mail:home"),
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": [
            {"src": static(path), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for path, sizes, purpose in icons
        ],
    }


@require_GET
@cache_control(public=True, max_age=86400)
def manifest(request: HttpRequest) -> HttpResponse:
    body = json.dumps(manifest_data(), ensure_ascii=False, indent=2)
    return HttpResponse(body, content_type="application/manifest+json; charset=utf-8")


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for by themselves on pages without an icon link:
    the app's icon rather than a 404 (error pages keep the session's pending notices for
    the next page, `core.web.error_page`)."""
    return HttpResponsePermanentRedirect(static("caducee/icons/icon-192.png"))
