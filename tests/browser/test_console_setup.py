"""First run: the one-time setup link creates the operator, who lands in the console."""

from __future__ import annotations

from typing import Any

import pytest

from caducee.identity.links import issue_setup_link
from caducee.people.models import User
from tests.conftest import PASSWORD


@pytest.mark.browser
def test_first_run_setup_creates_the_operator(live_server: Any, page: Any) -> None:
    token = issue_setup_link()
    assert token is not None
    page.goto(f"{live_server.url}/installation/{token}/")
    page.fill("#last_name", "OPERATRICE")
    page.fill("#first_name", "Olivia")
    page.fill("#email", "olivia@grades.example.org")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url.endswith("/console/structures/")
    assert page.locator("h1").inner_text() == "Structures de la plateforme"
    assert "Créer une structure" in page.content()
    user = User.objects.get(email="olivia@grades.example.org")
    assert user.is_operator
    # The link is used up.
    page.goto(f"{live_server.url}/installation/{token}/")
    assert "déjà été utilisé" in page.content() or "plus valable" in page.content()
