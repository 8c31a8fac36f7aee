"""A person changes their own login address from « Sécurité », in Chromium (issue #15, 4)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from caducee.accounts.models import Account, EmailChangeRequest
from caducee.accounts.operations import mark_finalised
from caducee.audit.models import AuditEvent
from caducee.structures.models import Structure
from tests import factories
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.smtp_sink import SmtpSink, url_in

pytestmark = pytest.mark.browser

NEW = "pierre.martin@perso.example.org"


def test_a_person_changes_their_own_address(
    live_server: Any, page: Any, structure_a: Structure, smtp_sink: SmtpSink
) -> None:
    pierre = factories.make_account(structure_a, "PER", email="pierre.martin@ch-a.fr")
    assert pierre.user is not None
    pierre.user.password = factories.password_hash(PASSWORD)
    pierre.user.save()
    mark_finalised(pierre)
    login(page, live_server.url, pierre.email, PASSWORD)
    page.goto(f"{live_server.url}/securite/")
    with page.expect_navigation():
        page.click("#my-email-link")
    assert page.inner_text("#current-email") == "pierre.martin@ch-a.fr"
    since = smtp_sink.count()
    page.fill("#new_email", NEW)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("text=Demander le changement")
    assert NEW in page.inner_text("#pending-change")
    notice = smtp_sink.wait_for("pierre.martin@ch-a.fr", since=since)
    assert "Vous avez demandé" in notice.text and "Annuler ma demande" in notice.text
    link = url_in(smtp_sink.wait_for(NEW, since=since))
    assert Account.objects.get(pk=pierre.pk).email == "pierre.martin@ch-a.fr"

    page.goto(live_server.url + urlsplit(link).path)  # the link names the configured site
    with page.expect_navigation():
        page.click(f"text=Confirmer l'adresse {NEW}")
    assert Account.objects.get(pk=pierre.pk).email == NEW
    change = EmailChangeRequest.objects.get(account=pierre)
    assert change.status == EmailChangeRequest.Status.DONE and change.by_self
    assert AuditEvent.objects.filter(action="account.email_change_confirm").exists()
    page.context.clear_cookies()
    login(page, live_server.url, NEW, PASSWORD)  # the same password, the new login
    page.goto(f"{live_server.url}/securite/adresse-mail/")
    assert page.inner_text("#current-email") == NEW
