"""Real-browser helpers: Playwright driving Debian's Chromium against the live server.

The `browser` and `page` fixtures live in tests/conftest.py so that every test directory
can use them: one Chromium per test module, closed before the next module starts (two sync
Playwright instances cannot run at once, and Django's async guard is lifted only while one
runs: see the `browser` fixture).
"""

from __future__ import annotations

import os
from typing import Any

CHROMIUM = os.environ.get("CADUCEE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _email_of_identifier(identifier: str) -> str:
    """Where the code of an external partner logging in with an identifier is sent."""
    from caducee.coordination.models import ExternalAccount

    return str(ExternalAccount.objects.select_related("user").get(identifier=identifier).user.email)


def login(page: Any, base_url: str, email: str, password: str) -> None:
    """Log in through the login page, completing the one-time-code step when it is asked.

    The code is read from the email that really arrived at the loopback SMTP sink.
    """
    from tests.smtp_sink import Received, code_in, current

    sink = current()
    mark = sink.count()
    address = email if "@" in email else _email_of_identifier(email)
    page.goto(f"{base_url}/connexion/")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    if page.locator("#code").count() == 0:
        return

    def is_code(m: Received) -> bool:
        return "code de connexion" in m.subject.lower()

    if page.locator("#code-reused").count():
        # A code went out less than a minute ago and is still valid: it is the newest one.
        received = [m for m in sink.to(address) if is_code(m)][-1]
    else:
        received = sink.wait_for(address, since=mark, match=is_code)
    page.fill("#code", code_in(received))
    with page.expect_navigation():
        page.click("#code-submit")
