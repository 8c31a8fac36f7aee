"""The whole pharmacy journey of seed 003 in Chromium, and a rejection (issue #16).

« Créer un compte » → region → ORG → « Oui » → the nominative account proven by password
and emailed code → the form → the service centre validates on a shared domain → the
requester is emailed → logs in, « Changer de compte », and sends from the new mailbox.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from caducee.accounts.models import Account, AccountState
from caducee.accounts.operations import mark_finalised
from caducee.audit.models import AuditEvent
from caducee.mail.models import Message
from caducee.people.models import User
from caducee.registration.models import RegistrationRequest, RequestState
from caducee.structures.models import Structure
from tests import factories
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.registration.conftest import SHARED
from tests.smtp_sink import Received, SmtpSink, code_in

pytestmark = pytest.mark.browser
ADDRESS = f"pharmacie.du.centre.81000.albi@{SHARED}"


@pytest.fixture(autouse=True)
def mail_store(settings: Any, tmp_path: Path) -> None:
    settings.MAIL_ROOT = tmp_path / "mail"


def _fill(page: Any, values: dict[str, str]) -> None:
    for name, value in values.items():
        selector = f"#id_{name}"
        if page.locator(f"select{selector}").count():
            page.select_option(selector, value)
        else:
            page.fill(selector, value)


def _start(page: Any, base: str, choice: str) -> None:
    page.goto(f"{base}/connexion/")
    with page.expect_navigation():
        page.click("text=Créer un compte")
    page.select_option("#region", "76")
    with page.expect_navigation():
        page.click("#region-submit")
    assert "Occitanie" in page.inner_text("h1")
    with page.expect_navigation():
        page.click(choice)


def _is_code(m: Received) -> bool:
    return "code" in m.subject.lower()


@pytest.mark.usefixtures("regions", "shared_domain")
def test_the_pharmacy_journey(
    live_server: Any,
    page: Any,
    browser: Any,
    pharmacist: Account,
    operator: User,
    structure_a: Structure,
    smtp_sink: SmtpSink,
) -> None:
    base = live_server.url
    doctor = factories.make_account(
        structure_a, "PER", "paul.martin@perso.example.org", mssante_particle="paul.martin"
    )
    mark_finalised(doctor)

    # 1. « Créer un compte » → region → ORG → « Oui » → password, then the emailed code.
    _start(page, base, "#choice-org")
    with page.expect_navigation():
        page.click("#org-yes")
    page.fill("#email", pharmacist.email)
    page.fill("#password", "pas le bon mot de passe")
    with page.expect_navigation():
        page.click("#prove-submit")
    assert "Adresse mail ou mot de passe incorrect." in page.inner_text("[role=alert]")
    mark = smtp_sink.count()
    page.fill("#email", pharmacist.email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#prove-submit")
    assert not RegistrationRequest.objects.exists()  # nothing before the code is proven
    code = code_in(smtp_sink.wait_for(pharmacist.email, since=mark, match=_is_code))
    page.fill("#code", "000000" if code != "000000" else "111111")
    with page.expect_navigation():
        page.click("#code-submit")
    assert "Code incorrect" in page.inner_text("[role=alert]")
    page.fill("#code", code)
    with page.expect_navigation():
        page.click("#code-submit")

    # 2. The form: a personal address is refused field by field, then the generic one.
    assert page.input_value("#id_resp_last_name") == "VIVES"
    assert page.is_checked("#id_dematerialisation") and page.is_checked("#id_visible")
    _fill(
        page,
        {
            "email": "nadege.vives@gmail.com",
            "description": "Pharmacie du Centre 81000 Albi",
            "structure_name": "Pharmacie du Centre",
            "id_type": "FINESS_EG",
            "id_number": "123",
            "address1": "1 place du Vigan",
            "postal_code": "81000",
            "city": "Albi",
            "department": "81",
            "phone1": "05 63 00 00 00",
            "resp_first_name": "Nadège",
            "resp_profession": "21",
            "resp_identifier": factories.rpps(),
        },
    )
    with page.expect_navigation():
        page.click("#registration-submit")
    assert "semble personnelle" in page.inner_text("#champ-email .field-error")
    assert page.locator("#champ-id_number .field-error").count() == 1
    _fill(page, {"email": "pharmacie-du-centre-albi@gmail.com", "id_number": factories.finess()})
    with page.expect_navigation():
        page.click("#registration-submit")
    assert "transmise au centre de services" in page.inner_text("#registration-done")
    request = RegistrationRequest.objects.get()
    assert request.account.state == AccountState.TO_VALIDATE
    smtp_sink.wait_for(pharmacist.email, match=lambda m: "enregistrée" in m.subject)

    # 3. The service centre validates on the shared domain, with the seed's address.
    centre = browser.new_context(locale="fr-FR")
    centre.set_default_timeout(15_000)
    desk = centre.new_page()
    login(desk, base, operator.email, PASSWORD)
    desk.goto(f"{base}/console/structures/")
    with desk.expect_navigation():
        desk.click("#registration-queue")
    assert "pharmacie-du-centre-albi@gmail.com" in desk.inner_text("#demandes")
    with desk.expect_navigation():
        desk.click(f"#demande-{request.pk} a")
    assert "Pharmacie du Centre" in desk.inner_text("#saisie")
    assert desk.input_value("#id_particle") == "pharmacie.du.centre.81000.albi"
    assert desk.input_value("#id_domain") == SHARED
    mark = smtp_sink.count()
    with desk.expect_navigation():
        desk.click("#validate-submit")
    assert f"La demande n° {request.pk} est validée" in desk.content()
    centre.close()

    # 4. The requester is emailed.
    validated = smtp_sink.wait_for(
        pharmacist.email, since=mark, match=lambda m: "validé" in m.subject
    )
    assert ADDRESS in validated.text

    # 5. Login, « Changer de compte », send from the ORG mailbox.
    page.context.clear_cookies()
    login(page, base, pharmacist.email, PASSWORD)
    page.goto(f"{base}/messagerie/")
    page.click("#mailbox-menu")
    org = Account.objects.get(pk=request.account.pk)
    with page.expect_navigation():
        page.click(f"details.mailbox-menu button:has-text('{org.email}')")
    page.goto(f"{base}/messagerie/")
    assert ADDRESS in page.inner_text(".mail-box")
    page.click("text=Nouveau message Prof. Santé")
    page.fill("#to", "paul.martin@ch-a.mssante.fr")
    page.fill("#subject", "Ordonnance disponible")
    with page.expect_navigation():
        page.click("button[name=send]")
    received = Message.objects.get(mailbox=doctor, subject="Ordonnance disponible")
    assert ADDRESS in received.sender
    assert AuditEvent.objects.filter(action="mail.send", acting_as=org.email).exists()


@pytest.mark.usefixtures("regions")
def test_a_professional_is_rejected_with_the_reason(
    live_server: Any, page: Any, browser: Any, operator: User, smtp_sink: SmtpSink
) -> None:
    base = live_server.url
    email = "paul.durand@cabinet-albi.fr"
    _start(page, base, "#choice-per")
    page.fill("#email", email)
    with page.expect_navigation():
        page.click("#per-email-submit")
    assert email in page.inner_text("#code-sent")
    page.fill("#code", code_in(smtp_sink.wait_for(email, match=_is_code)))
    with page.expect_navigation():
        page.click("#code-submit")
    assert page.input_value("#id_email") == email
    _fill(
        page,
        {
            "last_name": "Durand",
            "first_name": "Paul",
            "profession": "10",
            "rpps": "12345678901",
            "structure_name": "Cabinet du Dr Durand",
            "id_type": "SIRET",
            "id_number": factories.siret(),
            "postal_code": "81000",
            "city": "Albi",
            "department": "81",
        },
    )
    with page.expect_navigation():
        page.click("#registration-submit")
    assert page.locator("#champ-rpps .field-error").count() == 1  # a wrong key
    _fill(page, {"rpps": factories.rpps()})
    with page.expect_navigation():
        page.click("#registration-submit")
    assert page.locator("#registration-done").count() == 1, page.inner_text("main")
    request = RegistrationRequest.objects.get()

    login(page, base, operator.email, PASSWORD)
    page.goto(f"{base}/console/inscriptions/")
    with page.expect_navigation():
        page.click(f"#demande-{request.pk} a")
    page.fill("#reason", "Ce SIRET n'est pas celui d'un cabinet libéral.")
    mark = smtp_sink.count()
    with page.expect_navigation():
        page.click("#reject-submit")
    assert f"La demande n° {request.pk} est rejetée" in page.content()
    request.refresh_from_db()
    assert request.state == RequestState.REJECTED
    assert Account.objects.get(pk=request.account.pk).state == AccountState.REJECTED
    rejected = smtp_sink.wait_for(email, since=mark, match=lambda m: "refusée" in m.subject)
    assert "Ce SIRET n'est pas celui d'un cabinet libéral." in rejected.text
