"""Logging in through the real login page, in Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from caducee.people.models import User
from tests.browser.conftest import login
from tests.conftest import PASSWORD


@pytest.mark.browser
def test_it_logs_an_admin_in(live_server: Any, page: Any, alice: User) -> None:
    login(page, live_server.url, alice.email, PASSWORD)
    assert "/connexion/" not in page.url
    assert "Déconnexion" in page.content()
