"""`caducee web` under gunicorn: proxy headers count only from CADUCEE_TRUSTED_PROXIES.

gunicorn trusts X-Forwarded-Proto from loopback by default; `caducee web` turns that off
so that the platform's own list decides (caducee/core/client_address.py).
"""

from __future__ import annotations

import http.client
import time
from pathlib import Path

from tests.cli.test_web import home, start_web, stop
from tests.mail.conftest import free_port

__all__ = ["home"]


def _get(port: int, **headers: str) -> http.client.HTTPResponse:
    deadline = time.monotonic() + 30
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/connexion/", headers=headers)
            return connection.getresponse()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_an_https_claim_from_an_untrusted_peer_is_redirected(home: Path) -> None:
    port = free_port()
    process, _ = start_web(
        home,
        port,
        "--workers",
        "1",
        CADUCEE_BASE_URL="https://localhost",
        CADUCEE_TRUSTED_PROXIES="192.0.2.1",
    )
    try:
        response = _get(port, Host="localhost", **{"X-Forwarded-Proto": "https"})
        assert response.status == 301
        assert response.getheader("Location") == "https://localhost/connexion/"
    finally:
        stop(process)
