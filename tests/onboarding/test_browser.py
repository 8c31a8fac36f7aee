"""In Chromium: a pharmacy fills in the « Demande de raccordement » (a typo in its FINESS
first), gets the acknowledgement email; the service centre finds it in its queue, creates
the structure and accepts it; the pharmacy gets the answer by email."""

from __future__ import annotations

from typing import Any

import pytest

from caducee.onboarding.models import ConnectionRequest, RequestState
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.onboarding.conftest import PHARMACY_FINESS
from tests.smtp_sink import Received, SmtpSink

CONTACT = "officine@pharmacie-centre-albi.fr"
BAD_FINESS = PHARMACY_FINESS[:-1] + str((int(PHARMACY_FINESS[-1]) + 1) % 10)


def _fill(page: Any, finess: str) -> None:
    page.fill("#id_structure_name", "Pharmacie du Centre")
    page.select_option("#id_id_type", "FINESS_EG")
    page.fill("#id_id_number", finess)
    page.fill("#id_address", "12 place du Vigan")
    page.fill("#id_postal_code", "81000")
    page.fill("#id_city", "Albi")
    page.select_option("#id_department", "81")
    page.fill("#id_last_name", "Martin")
    page.fill("#id_first_name", "Claire")
    page.fill("#id_function", "Pharmacienne titulaire")
    page.fill("#id_email", CONTACT)
    page.fill("#id_phone", "05 63 00 00 00")
    page.fill("#id_expected_users", "4")


@pytest.mark.browser
def test_a_pharmacy_asks_and_the_service_centre_accepts(
    live_server: Any, page: Any, operator: User, smtp_sink: SmtpSink
) -> None:
    page.goto(f"{live_server.url}/inscription/raccordement/")
    _fill(page, BAD_FINESS)
    with page.expect_navigation():
        page.click("text=Envoyer la demande")
    assert "clé de contrôle fausse" in page.inner_text("#champ-id_number .field-error")
    assert page.input_value("#id_city") == "Albi"  # what was typed is kept
    page.fill("#id_id_number", PHARMACY_FINESS)
    with page.expect_navigation():
        page.click("text=Envoyer la demande")
    assert "votre demande a été transmise au centre de services" in page.inner_text("#request-sent")

    def subject(text: str) -> Any:
        return lambda m: text in m.subject

    received: Received = smtp_sink.wait_for(CONTACT, match=subject("reçue"))
    request = ConnectionRequest.objects.get()
    assert f"n° {request.pk}" in received.text

    login(page, live_server.url, operator.email, PASSWORD)
    page.goto(f"{live_server.url}/console/structures/")
    with page.expect_navigation():
        page.click("text=Demandes de raccordement")
    with page.expect_navigation():
        page.click("#demandes >> text=Pharmacie du Centre")
    assert "Pharmacienne titulaire" in page.inner_text("#saisie")
    with page.expect_navigation():
        page.click("text=Prendre en charge")
    assert page.inner_text("#state") == "En cours"
    with page.expect_navigation():
        page.click("button:has-text('Créer la structure')")
    assert "Pharmacie du Centre" in page.inner_text("#created-structure")
    assert Structure.objects.get(name="Pharmacie du Centre").id_number == PHARMACY_FINESS

    page.check("input[name=decision][value=accepter]")
    page.fill("#id_message", "Votre structure est créée : nous vous appelons lundi.")
    with page.expect_navigation():
        page.click("text=Envoyer la réponse")
    assert page.inner_text("#state") == "Acceptée"
    answer = smtp_sink.wait_for(CONTACT, match=subject("acceptée"))
    assert "nous vous appelons lundi" in answer.text
    request.refresh_from_db()
    assert request.state == RequestState.ACCEPTED and request.handled_by == operator
