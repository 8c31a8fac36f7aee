"""A small HTTP client for a Caducée running in another process (`caducee serve`).

Django's test client cannot reach another process: this one speaks HTTP on loopback with a
cookie jar, sends the CSRF token of the page's form and follows redirects, as a browser
without JavaScript would.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser


@dataclass
class Page:
    status: int
    url: str
    html: str


class _Forms(HTMLParser):
    """The fields of each form of a page: name -> value (checkboxes as if ticked)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self.current: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.current = {}
            self.forms.append((values.get("action", ""), self.current))
        elif (
            tag == "input"
            and self.current is not None
            and values.get("name")
            and values.get("type") not in {"submit", "button", "file"}
        ):
            self.current[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None


def form_fields(html: str, containing: str) -> tuple[str, dict[str, str]]:
    """(action, fields) of the first form that has a field named `containing`."""
    parser = _Forms()
    parser.feed(html)
    for action, fields in parser.forms:
        if containing in fields:
            return unescape(action), dict(fields)
    raise AssertionError(f"no form with a field {containing!r} in the page")


class WebClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def _url(self, path: str) -> str:
        url = path if path.startswith("http") else self.base_url + path
        assert url.startswith("http://127.0.0.1:"), url  # loopback only
        return url

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            with self.opener.open(request, timeout=30) as response:
                return Page(response.status, response.geturl(), response.read().decode())
        except urllib.error.HTTPError as exc:
            return Page(exc.code, exc.geturl(), exc.read().decode("utf-8", "replace"))

    def get(self, path: str) -> Page:
        return self._open(urllib.request.Request(self._url(path)))  # noqa: S310 (loopback)

    def post(self, path: str, fields: dict[str, str]) -> Page:
        url = self._url(path)
        request = urllib.request.Request(  # noqa: S310 (loopback http only, checked above)
            url,
            data=urllib.parse.urlencode(fields).encode(),
            headers={"Referer": url, "Content-Type": "application/x-www-form-urlencoded"},
        )
        return self._open(request)

    def submit(self, page: Page, containing: str, **values: str) -> Page:
        """Fill the form holding the field `containing` (CSRF token included) and send it."""
        action, fields = form_fields(page.html, containing)
        fields.update(values)
        return self.post(urllib.parse.urljoin(page.url, action or page.url), fields)


def text_of(html: str) -> str:
    """The page's text, tags removed and spaces folded (for assertions)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
