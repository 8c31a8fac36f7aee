"""Remembered browsers: a signed cookie bound to the person, revocable from "Sécurité"."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from caducee.core.secrets import digest, url_token
from caducee.identity.models import TrustedBrowser
from caducee.people.models import User

COOKIE = "caducee_navigateur"
_SALT = "caducee.identity.trusted_browser"


def _max_age() -> int:
    return int(settings.TRUSTED_BROWSER_DAYS) * 86400


def create(user: User, label: str, ip: str | None) -> tuple[TrustedBrowser, str]:
    """Store a new browser key; returns the row and the signed cookie value."""
    key = url_token(32)
    now = timezone.now()
    browser = TrustedBrowser.objects.create(
        user=user,
        key_hash=digest(key),
        label=label[:200],
        ip=ip,
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(seconds=_max_age()),
    )
    value = signing.dumps({"u": user.pk, "k": key}, salt=_SALT)
    return browser, value


def recognise(request: HttpRequest, user: User) -> TrustedBrowser | None:
    """The remembered browser this request comes from, for this person, if still valid."""
    value = request.COOKIES.get(COOKIE, "")
    if not value:
        return None
    try:
        data = signing.loads(value, salt=_SALT, max_age=_max_age())
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != user.pk or not data.get("k"):
        return None
    now = timezone.now()
    browser = TrustedBrowser.objects.filter(
        user=user, key_hash=digest(str(data["k"])), revoked_at__isnull=True, expires_at__gt=now
    ).first()
    if browser is not None:
        TrustedBrowser.objects.filter(pk=browser.pk).update(last_used_at=now)
    return browser


def set_cookie(response: HttpResponse, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=_max_age(),
        httponly=True,
        secure=bool(settings.SESSION_COOKIE_SECURE),
        samesite="Lax",
    )


def describe(user_agent: str) -> str:
    """A short French label for a browser, from its User-Agent."""
    ua = user_agent or ""
    name = next(
        (
            label
            for token, label in (
                ("Edg/", "Edge"),
                ("Firefox/", "Firefox"),
                ("Chrome/", "Chrome"),
                ("Chromium/", "Chromium"),
                ("Safari/", "Safari"),
            )
            if token in ua
        ),
        "Navigateur",
    )
    system = next(
        (
            label
            for token, label in (
                ("Windows", "Windows"),
                ("Android", "Android"),
                ("iPhone", "iPhone"),
                ("Mac OS", "macOS"),
                ("Linux", "Linux"),
            )
            if token in ua
        ),
        "",
    )
    return f"{name} sous {system}" if system else name
