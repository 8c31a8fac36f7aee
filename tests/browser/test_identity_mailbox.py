"""Switching mailbox from the header's "Changer de compte", in Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from caducee.accounts.models import Account
from caducee.accounts.operations import mark_finalised
from caducee.audit.models import AuditEvent
from caducee.structures.models import Structure
from tests import factories
from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_switch_to_the_secretariat_mailbox(
    live_server: Any, page: Any, structure_a: Structure
) -> None:
    pierre = factories.make_account(structure_a, "PER", email="pierre.martin@ch-a.fr")
    assert pierre.user is not None
    pierre.user.password = factories.password_hash(PASSWORD)
    pierre.user.save()
    mark_finalised(pierre)
    secretariat = factories.make_account(
        structure_a, "ORG", email="secretariat@ch-a.fr", connection_accounts=pierre.email
    )
    login(page, live_server.url, pierre.email, PASSWORD)
    page.goto(f"{live_server.url}/securite/")
    assert page.inner_text("#mailbox-menu") == pierre.email
    page.click("#mailbox-menu")
    assert page.locator("text=Changer de compte").is_visible()
    with page.expect_navigation():
        page.click(f"details.mailbox-menu button:has-text('{secretariat.email}')")
    assert page.inner_text("#mailbox-menu") == secretariat.email
    event = AuditEvent.objects.get(action="identity.switch_mailbox")
    assert event.acting_as == secretariat.email and event.actor_id == pierre.user_id
    assert Account.objects.get(pk=secretariat.pk).email == secretariat.email
