"""Login behind a TLS reverse proxy: CSRF, https, throttling and audit per real client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from typing import Any as SettingsWrapper

import pytest
from django.test import Client

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.core.client_address import parse_networks
from caducee.identity import links
from tests.conftest import PASSWORD
from tests.identity.conftest import Capture, full_login
from tests.smtp_sink import SmtpSink

HOST = "caducee.ch-a.fr"
ORIGIN = f"https://{HOST}"
PROXY = "127.0.0.1"  # nginx on the same machine, as in deploy/


@pytest.fixture
def behind_proxy(settings: SettingsWrapper) -> SettingsWrapper:
    """What CADUCEE_BASE_URL=https://caducee.ch-a.fr and CADUCEE_TRUSTED_PROXIES=127.0.0.1
    give (test_the_https_base_url_turns_the_protections_on checks that derivation)."""
    settings.ALLOWED_HOSTS = [HOST]
    settings.BASE_URL = ORIGIN
    settings.CSRF_TRUSTED_ORIGINS = [ORIGIN]
    settings.TRUSTED_PROXIES = parse_networks(PROXY)
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.LOCKOUT_FREE_FAILURES = 0
    settings.LOCKOUT_IP_THRESHOLD = 3
    settings.LOCKOUT_THRESHOLD = 100
    return settings


def _browser(peer: str = PROXY, client_ip: str = "203.0.113.9", **extra: Any) -> Client:
    """A browser reaching the platform through the proxy (or pretending to)."""
    return Client(
        enforce_csrf_checks=True,
        REMOTE_ADDR=peer,
        HTTP_HOST=HOST,
        HTTP_X_FORWARDED_FOR=client_ip,
        HTTP_X_FORWARDED_PROTO="https",
        **extra,
    )


def _post_login(browser: Client, email: str, password: str) -> Any:
    page = browser.get("/connexion/")
    assert page.status_code == 200
    token = browser.cookies["csrftoken"].value
    return browser.post(
        "/connexion/",
        {"email": email, "password": password, "csrfmiddlewaretoken": token},
        HTTP_ORIGIN=ORIGIN,
        HTTP_REFERER=f"{ORIGIN}/connexion/",
    )


def test_a_login_forwarded_over_https_succeeds(
    behind_proxy: SettingsWrapper, pierre: Account
) -> None:
    browser = _browser()
    response = _post_login(browser, pierre.email, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/connexion/code/"
    assert response.cookies["sessionid"]["secure"]
    assert "max-age=31536000" in response["Strict-Transport-Security"]


def test_an_untrusted_peer_claiming_https_is_redirected(behind_proxy: SettingsWrapper) -> None:
    response = _browser(peer="192.0.2.50").get("/connexion/")
    assert response.status_code == 301 and response["Location"] == f"{ORIGIN}/connexion/"


def test_bad_logins_from_one_client_do_not_lock_the_others(
    behind_proxy: SettingsWrapper, pierre: Account
) -> None:
    attacker = _browser(client_ip="203.0.113.66")
    for _ in range(3):
        _post_login(attacker, "nobody@ch-a.fr", "wrong password")
    assert _post_login(attacker, pierre.email, PASSWORD).status_code == 429
    response = _post_login(_browser(client_ip="198.51.100.4"), pierre.email, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/connexion/code/"
    ips = set(
        AuditEvent.objects.filter(action="identity.login_failed").values_list("ip", flat=True)
    )
    assert ips == {"203.0.113.66"}


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(
    behind_proxy: SettingsWrapper, pierre: Account
) -> None:
    behind_proxy.SECURE_SSL_REDIRECT = False
    for n in range(3):  # the attacker rotates the address it claims
        spoofer = Client(REMOTE_ADDR="192.0.2.50", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        spoofer.post("/connexion/", {"email": "nobody@ch-a.fr", "password": "x"}, HTTP_HOST=HOST)
    response = Client(REMOTE_ADDR="192.0.2.50").post(
        "/connexion/", {"email": pierre.email, "password": PASSWORD}, HTTP_HOST=HOST
    )
    assert response.status_code == 429  # its own address was counted, every time
    ips = set(
        AuditEvent.objects.filter(action="identity.login_failed").values_list("ip", flat=True)
    )
    assert ips == {"192.0.2.50"}


def _settings_with(tmp_path: Path, **env: str) -> dict[str, Any]:
    """Load caducee.settings in a fresh interpreter with this environment."""
    code = (
        "import json, caducee.settings as s; print(json.dumps({k: getattr(s, k) for k in "
        "('CSRF_TRUSTED_ORIGINS', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS')} | "
        "{'proxies': [str(n) for n in s.TRUSTED_PROXIES], "
        # first after the monitoring probes and access log, which read no scheme
        "'first': next(m for m in s.MIDDLEWARE if 'monitoring' not in m)}))"
    )
    keep = {k: v for k, v in os.environ.items() if not k.startswith("CADUCEE_")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**keep, "CADUCEE_HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def test_the_https_base_url_turns_the_protections_on(tmp_path: Path) -> None:
    loaded = _settings_with(
        tmp_path, CADUCEE_BASE_URL=f"{ORIGIN}/", CADUCEE_TRUSTED_PROXIES="127.0.0.1,10.0.0.0/8"
    )
    assert loaded == {
        "CSRF_TRUSTED_ORIGINS": [ORIGIN],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "proxies": ["127.0.0.1/32", "10.0.0.0/8"],
        "first": "caducee.core.client_address.ProxyHeadersMiddleware",
    }


def test_the_embedded_defaults_stay_plain_http(tmp_path: Path) -> None:
    loaded = _settings_with(tmp_path)
    assert loaded["CSRF_TRUSTED_ORIGINS"] == [] and loaded["proxies"] == []
    assert not loaded["SECURE_SSL_REDIRECT"] and loaded["SECURE_HSTS_SECONDS"] == 0
    assert not loaded["SESSION_COOKIE_SECURE"]


def _ask_reset(browser: Client, email: str) -> None:
    page = browser.get("/mot-de-passe-oublie/")
    assert page.status_code == 200
    browser.post(
        "/mot-de-passe-oublie/",
        {"email": email, "csrfmiddlewaretoken": browser.cookies["csrftoken"].value},
        HTTP_ORIGIN=ORIGIN,
    )


def test_password_resets_are_capped_per_client_not_per_proxy(
    behind_proxy: SettingsWrapper, db: None
) -> None:
    behind_proxy.RESET_REQUESTS_PER_IP = 2
    flooder = _browser(client_ip="203.0.113.66")
    for n in range(4):
        _ask_reset(flooder, f"flood{n}@x.test")
    _ask_reset(_browser(client_ip="198.51.100.4"), "someone@x.test")
    events = AuditEvent.objects.filter(action="identity.password_reset_requested")
    by_ip = [(e.ip, e.detail["limited"]) for e in events.order_by("seq")]
    assert by_ip == [
        ("203.0.113.66", False),
        ("203.0.113.66", False),
        ("203.0.113.66", True),
        ("198.51.100.4", False),  # the other client behind the same proxy is not limited
    ]


def test_the_first_run_page_opens_only_for_a_client_on_this_machine(
    behind_proxy: SettingsWrapper, db: None
) -> None:
    token = links.issue_setup_link()
    assert token is not None
    remote = _browser(client_ip="203.0.113.9").get(f"/installation/{token}/")
    assert remote.status_code == 403
    assert "machine qui héberge Caducée" in remote.content.decode()
    local = _browser(client_ip="127.0.0.1").get(f"/installation/{token}/")
    assert local.status_code == 200
    # A proxy nobody declared, on this machine: every client would look local, so none is.
    behind_proxy.TRUSTED_PROXIES = ()
    behind_proxy.SECURE_SSL_REDIRECT = False
    undeclared = Client(HTTP_HOST=HOST, HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert undeclared.get(f"/installation/{token}/").status_code == 403


CERTIFICATE: dict[str, Any] = {
    "HTTP_X_CLIENT_VERIFY": "SUCCESS",
    "HTTP_X_CLIENT_DN": "CN=Pierre Martin,O=CH A",
}


def _login_detail(client: Client, capture: Capture, sink: SmtpSink, email: str) -> Any:
    response = full_login(client, capture, sink, email)
    assert response.status_code == 302 and not response["Location"].startswith("/connexion/")
    return AuditEvent.objects.get(action="identity.login").detail


def test_the_verified_client_certificate_is_kept_in_the_login_audit(
    behind_proxy: SettingsWrapper,
    pierre: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    client = Client(
        REMOTE_ADDR=PROXY, HTTP_HOST=HOST, HTTP_X_FORWARDED_PROTO="https", **CERTIFICATE
    )
    detail = _login_detail(client, django_capture_on_commit_callbacks, smtp_sink, pierre.email)
    assert detail == {"method": "email", "certificate": "CN=Pierre Martin,O=CH A"}


def test_certificate_headers_from_an_untrusted_peer_are_ignored(
    behind_proxy: SettingsWrapper,
    pierre: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    behind_proxy.SECURE_SSL_REDIRECT = False
    client = Client(REMOTE_ADDR="192.0.2.50", HTTP_HOST=HOST, **CERTIFICATE)
    detail = _login_detail(client, django_capture_on_commit_callbacks, smtp_sink, pierre.email)
    assert detail == {"method": "email"}


def test_probes_reaching_the_platform_directly_are_not_redirected(
    behind_proxy: SettingsWrapper, db: None
) -> None:
    direct = Client(HTTP_HOST=HOST)  # a health probe on loopback, not through nginx
    for path in ("/healthz", "/readyz", "/metrics"):
        assert direct.get(path).status_code != 301
    assert direct.get("/connexion/").status_code == 301
