"""Login codes by SMS in Chromium (issue #17 point 4): a person confirms their mobile on
« Sécurité », then logs in with the code the loopback SMS gateway received; when the
gateway fails, the code comes by email and the page says so."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.structures.models import Structure
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.identity.conftest import make_pierre
from tests.identity.sms_gateway import Gateway, configure, running
from tests.smtp_sink import SmtpSink, code_in

pytestmark = pytest.mark.browser

MOBILE = "+33612345678"


@pytest.fixture
def pierre(structure_a: Structure) -> Account:
    return make_pierre(structure_a)


@pytest.fixture
def gateway(settings: Any) -> Iterator[Gateway]:
    with running() as gateway:
        configure(settings, gateway)
        yield gateway


def _password_step(page: Any, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/connexion/")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def _logout(page: Any) -> None:
    with page.expect_navigation():
        page.click("text=Déconnexion")


def test_confirm_a_mobile_then_log_in_with_the_sms_code(
    live_server: Any, page: Any, pierre: Account, gateway: Gateway, smtp_sink: SmtpSink
) -> None:
    login(page, live_server.url, pierre.email, PASSWORD)  # the emailed code, as before
    page.goto(f"{live_server.url}/securite/")
    with page.expect_navigation():
        page.click("#sms-setup-link")
    page.fill("#number", "06 12 34 56 78")
    with page.expect_navigation():
        page.click("#sms-send")
    assert "Code reçu par SMS au 06 •• •• •• 78" in page.inner_text("main")
    page.fill("#code", gateway.last_code(MOBILE))
    with page.expect_navigation():
        page.click("#sms-confirm")
    assert page.url.endswith("/securite/")
    assert "Vos codes de connexion vous seront envoyés par SMS" in page.inner_text("main")
    assert "Code par SMS" in page.inner_text("#current-method")
    _logout(page)

    mark = smtp_sink.count()
    _password_step(page, live_server.url, pierre.email)
    assert "envoyé par SMS au 06 •• •• •• 78" in page.inner_text("main")
    page.fill("#code", gateway.last_code(MOBILE))
    with page.expect_navigation():
        page.click("#code-submit")
    assert "/messagerie/" in page.url
    assert smtp_sink.count() == mark  # no email this time
    login_event = AuditEvent.objects.filter(action="identity.login").order_by("-seq").first()
    assert login_event is not None and login_event.detail == {"method": "sms"}
    _logout(page)

    gateway.status = 503  # the gateway fails: the code comes by email, and the page says so
    _password_step(page, live_server.url, pierre.email)
    assert "L'envoi du SMS a échoué" in page.inner_text("#sms-failover")
    page.fill("#code", code_in(smtp_sink.wait_for(pierre.email, since=mark)))
    with page.expect_navigation():
        page.click("#code-submit")
    assert "/messagerie/" in page.url

    page.goto(f"{live_server.url}/securite/")
    with page.expect_navigation():
        page.click("#sms-disable")
    assert "Les codes par SMS sont retirés" in page.inner_text("main")
    assert "Code par mail" in page.inner_text("#current-method")
