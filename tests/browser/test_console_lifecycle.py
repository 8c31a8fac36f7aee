"""The account lifecycle in the console, in Chromium: « Expire bientôt », the exemption
with its reason, and the export of inactive mailboxes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.lifecycle.rules import today
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.lifecycle.test_operations import ACTIVE, inactive_since


@pytest.mark.browser
def test_expiring_filter_exemption_and_export(
    live_server: Any, page: Any, alice: User, structure_a: Structure, tmp_path: Path
) -> None:
    soon = factories.make_account(structure_a, "PER", "bientot@example.org")
    later = factories.make_account(structure_a, "PER", "plus-tard@example.org")
    Account.objects.filter(pk=soon.pk).update(expiry_date=today() + timedelta(days=5))
    Account.objects.filter(pk=later.pk).update(expiry_date=today() + timedelta(days=300))
    idle = inactive_since(factories.make_account(structure_a, "PER", "idle@example.org"), ACTIVE)
    base = live_server.url
    login(page, base, alice.email, PASSWORD)

    # « Expire bientôt »: the counter link filters the list.
    page.goto(f"{base}/console/structures/{structure_a.pk}/utilisateurs/")
    with page.expect_navigation():
        page.click("a:has-text('Expire bientôt')")
    rows = page.locator("table.accounts tbody").inner_text()
    assert "bientot@example.org" in rows and "dans 5 j" in rows
    assert "plus-tard@example.org" not in rows and "idle@example.org" not in rows

    # The account page: days left, then an exemption with its reason, then its removal.
    page.goto(f"{base}/console/structures/{structure_a.pk}/utilisateurs/")
    with page.expect_navigation():
        page.click("td a:has-text('idle@example.org')")
    block = page.locator("#cycle-de-vie")
    assert "Suppression pour inactivité" in block.inner_text()
    page.fill("#exempt-reason", "BAL de garde utilisée l'hiver")
    with page.expect_navigation():
        page.click("text=Exempter de la suppression pour inactivité")
    assert "est exempté de la suppression pour inactivité" in page.content()
    assert "exempté — motif : BAL de garde utilisée l'hiver" in block.inner_text()
    event = AuditEvent.objects.get(action="account.inactivity_exempt")
    assert event.actor_label == alice.email
    with page.expect_navigation():
        page.click("text=Retirer l'exemption")
    idle.refresh_from_db()
    assert idle.inactivity_exempt_reason == ""

    # The export, from the list's « Actions » menu.
    page.goto(f"{base}/console/structures/{structure_a.pk}/utilisateurs/")
    page.click("summary:has-text('Actions')")
    with page.expect_download() as download:
        page.click("li:has-text('comptes inactifs') >> text=CSV")
    target = tmp_path / "inactifs.csv"
    download.value.save_as(target)
    text = target.read_text("utf-8-sig")
    assert text.splitlines()[0].startswith("État;Adresse mail;")
    assert "Suppression prévue;idle@example.org" in text
