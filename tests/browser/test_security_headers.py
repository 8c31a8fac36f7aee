"""The strict Content-Security-Policy blocks nothing the pages need (real Chromium)."""

from __future__ import annotations

from typing import Any

import pytest

from caducee.accounts.models import Account
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.browser.conftest import login
from tests.conftest import PASSWORD


def _watch(page: Any) -> list[str]:
    """Collect every CSP violation the browser reports on the page."""
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return violations


@pytest.mark.browser
def test_console_pages_and_the_picker_work_under_the_policy(
    live_server: Any, page: Any, alice: User, structure_a: Structure
) -> None:
    base = live_server.url
    violations = _watch(page)
    per = factories.make_account(structure_a, "PER", email="julie.roux@ch-a.fr")
    org: Account = factories.make_account(structure_a, "ORG", email="accueil@ch-a.fr")
    login(page, base, alice.email, PASSWORD)
    page.goto(f"{base}/console/structures/{structure_a.pk}/utilisateurs/{org.pk}/")
    page.locator("#connection-emails").press_sequentially("julie", delay=30)
    suggestion = page.locator(f"#connection-suggestions li[data-email='{per.email}']")
    suggestion.wait_for()
    suggestion.click()
    assert page.input_value("#connection-emails") == f"{per.email}, "
    assert violations == []


@pytest.mark.browser
def test_the_api_docs_render_under_their_policy(live_server: Any, page: Any, db: None) -> None:
    violations = _watch(page)
    page.goto(f"{live_server.url}/api/v1/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Caducée API" in page.locator(".swagger-ui .info .title").inner_text()
    assert violations == []
