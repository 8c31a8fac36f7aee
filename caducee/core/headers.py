"""Security headers: a site-wide Content-Security-Policy and `no-store` for secret pages.

`ContentSecurityPolicyMiddleware` gives every response a strict policy unless the view set
its own (the webmail keeps its policy, see mail/views.py). Pages only load the platform's
own scripts and styles: no inline script, no inline style, no `hx-on` (htmx would need
`eval`), no plugin, no framing, forms only post to the platform.

The API documentation page (`/api/v1/docs`) is Swagger UI served from the platform (the
`ninja` app's static files): its styles are partly set inline, so that page alone allows
inline styles and `data:` images.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
API_DOCS_PREFIX = "/api/v1/docs"
API_DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = API_DOCS_POLICY if request.path.startswith(API_DOCS_PREFIX) else POLICY
        response.headers.setdefault("Content-Security-Policy", policy)
        return response


View = Callable[..., HttpResponse]


def no_store(view: View) -> View:
    """For pages that show or receive a secret: no browser or proxy may keep a copy."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        patch_cache_control(response, no_store=True, private=True)
        return response

    return wrapper
