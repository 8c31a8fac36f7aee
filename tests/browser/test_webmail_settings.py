"""The webmail's « Paramètres » (issue #15 point 8), in Chromium: a person chooses her
default mailbox and receipt notification; a secretary proposes a colleague on the ORG
mailbox, the admin validates it in the console, and the colleague opens the mailbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from caducee.accounts.models import Account, ColleagueProposal, ConnectionLink
from caducee.accounts.operations import mark_finalised
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _person(structure: Structure, email: str, kind: str = "MED") -> Account:
    account = factories.make_account(structure, kind, email=email)
    assert account.user is not None
    account.user.password = factories.password_hash(PASSWORD)
    account.user.save()
    mark_finalised(account)
    return account


@pytest.fixture
def secretary(structure_a: Structure) -> Account:
    return _person(structure_a, "secretaire@ch-a.fr")


@pytest.fixture
def org(structure_a: Structure, secretary: Account) -> Account:
    return factories.make_account(
        structure_a, "ORG", email="secretariat@ch-a.fr", connection_accounts=secretary.email
    )


@pytest.fixture
def other_tab(browser: Any) -> Iterator[Any]:
    """A second browser (its own cookies): another person logged in at the same time."""
    context = browser.new_context(locale="fr-FR")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_she_chooses_her_default_mailbox_and_notification(
    live_server: Any, page: Any, secretary: Account, org: Account
) -> None:
    login(page, live_server.url, secretary.email, PASSWORD)
    page.goto(f"{live_server.url}/messagerie/")
    with page.expect_navigation():
        page.click("a:has-text('Paramètres')")
    assert page.is_checked(f"#default-{secretary.pk}")
    page.check(f"#default-{org.pk}")
    page.check(f"#notify-{org.pk}")
    with page.expect_navigation():
        page.click("#mailbox-settings button")
    assert f"la boîte {org.email} sera affichée par défaut" in page.content()
    assert page.is_checked(f"#default-{org.pk}") and page.is_checked(f"#notify-{org.pk}")
    secretary.refresh_from_db()
    assert secretary.default_mailbox == org
    assert ConnectionLink.objects.get(mailbox=org, account=secretary).notify_on_receipt


def test_a_proposed_colleague_validated_by_the_admin_opens_the_mailbox(
    live_server: Any,
    page: Any,
    other_tab: Any,
    alice: User,
    structure_a: Structure,
    secretary: Account,
    org: Account,
) -> None:
    colleague = _person(structure_a, "collegue@ch-a.fr", "PER")
    login(page, live_server.url, secretary.email, PASSWORD)
    page.goto(f"{live_server.url}/messagerie/parametres/")
    page.select_option("#colleague-mailbox", str(org.pk))
    page.fill("#colleague-email", colleague.email)
    with page.expect_navigation():
        page.click("#colleague-form button")
    assert "un administrateur de la structure doit valider" in page.content()
    assert "En attente de validation" in page.inner_text("#my-proposals")

    login(other_tab, live_server.url, alice.email, PASSWORD)
    other_tab.goto(f"{live_server.url}/console/structures/{structure_a.pk}/")
    with other_tab.expect_navigation():
        other_tab.click("nav.side a:has-text('Propositions de collègues')")
    row = other_tab.locator("#pending-proposals tr", has_text=colleague.email)
    assert secretary.email in row.inner_text()
    with other_tab.expect_navigation():
        row.locator("button:has-text('Valider')").click()
    assert "est maintenant compte de connexion" in other_tab.content()
    assert ColleagueProposal.objects.get().status == ColleagueProposal.Status.APPROVED

    other_tab.context.clear_cookies()
    login(other_tab, live_server.url, colleague.email, PASSWORD)
    other_tab.goto(f"{live_server.url}/messagerie/")
    other_tab.click("#mailbox-menu")
    with other_tab.expect_navigation():
        other_tab.click(f"details.mailbox-menu button:has-text('{org.email}')")
    assert other_tab.inner_text("#mailbox-menu") == org.email
