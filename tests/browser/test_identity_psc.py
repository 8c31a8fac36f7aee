"""Pro Santé Connect in Chromium: the button, the test provider's authorization page
(auto-approved, as after unlocking the e-CPS), the webmail with no emailed code, and the
logout that goes through the provider."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.structures.models import Structure
from tests.identity.conftest import make_pierre
from tests.identity.psc.provider import RPPS, SUB, Provider, configured
from tests.smtp_sink import SmtpSink

pytestmark = pytest.mark.browser


@pytest.fixture
def provider(settings: Any) -> Iterator[Provider]:
    with configured(settings) as running:
        yield running


def test_login_with_pro_sante_connect_lands_in_the_webmail(
    live_server: Any, page: Any, structure_a: Structure, provider: Provider, smtp_sink: SmtpSink
) -> None:
    pierre = make_pierre(structure_a)
    Account.objects.filter(pk=pierre.pk).update(rpps=RPPS)
    page.goto(f"{live_server.url}/connexion/")
    with page.expect_navigation(url=f"{live_server.url}/messagerie/**"):
        page.click("text=Se connecter avec Pro Santé Connect")
    assert page.inner_text("#mailbox-menu") == pierre.email
    assert provider.authorize_requests[0]["acr_values"] == "eidas1"
    assert smtp_sink.count() == 0  # no emailed code
    event = AuditEvent.objects.get(action="identity.login")
    assert event.detail == {"method": "psc", "sub": SUB}
    with page.expect_navigation(url=f"{live_server.url}/connexion/**"):
        page.click("button:has-text('Déconnexion')")
    assert len(provider.logouts) == 1
    assert "Vous êtes déconnecté" in page.inner_text("main")
