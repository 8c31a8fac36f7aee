"""The public pages: the login page's link, closed regions, the correction link."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from caducee.accounts.models import Account
from caducee.core.context import cli_context
from caducee.registration.models import RegistrationRequest, RequestState
from caducee.registration.operations import ask_correction, submit_registration
from tests.registration.conftest import OCCITANIE, org_form
from tests.registration.test_operations import VISITOR
from tests.smtp_sink import SmtpSink, url_in

pytestmark = pytest.mark.django_db


def test_closed_registration_says_whom_to_ask(settings: Any) -> None:
    settings.REGISTRATION_REGIONS = []
    client = Client()
    login = client.get("/connexion/").content.decode()
    assert "Créer un compte" not in login and "administrateur de votre structure" in login
    page = client.get("/inscription/").content.decode()
    assert 'id="regions-closed"' in page and "<select" not in page
    assert client.post("/inscription/", {"region": "76"}).status_code == 200
    assert client.get("/inscription/type/").status_code == 302


@pytest.mark.usefixtures("regions")
def test_the_login_page_links_to_the_open_regions() -> None:
    client = Client()
    assert 'href="/inscription/"' in client.get("/connexion/").content.decode()
    page = client.get("/inscription/").content.decode()
    assert "Occitanie" in page and "Île-de-France" not in page
    assert client.post("/inscription/", {"region": "11"}).status_code == 200
    response = client.post("/inscription/", {"region": OCCITANIE})
    assert response.status_code == 302 and response["Location"] == "/inscription/type/"
    choice = client.get("/inscription/type/").content.decode()
    assert 'href="/inscription/raccordement/"' in choice
    assert "Demande de raccordement d&#x27;une structure" in choice or "raccordement" in choice
    # The form needs a proven address.
    assert client.get("/inscription/formulaire/").status_code == 302


@pytest.mark.usefixtures("regions")
def test_the_correction_link_opens_the_filled_form(
    pharmacist: Account, smtp_sink: SmtpSink, sent: Any
) -> None:
    request = submit_registration(VISITOR, "ORG", OCCITANIE, org_form(), requester=pharmacist.user)
    mark = smtp_sink.count()
    with sent():
        ask_correction(cli_context(), request.pk, "Le téléphone de l'officine, SVP.")
    url = url_in(
        smtp_sink.wait_for(pharmacist.email, since=mark, match=lambda m: "corriger" in m.subject)
    )
    path = "/" + url.split("/", 3)[3]
    client = Client()
    page = client.get(path).content.decode()
    assert "Le téléphone de l&#x27;officine, SVP." in page and "Pharmacie du Centre" in page
    values = {**org_form(), "phone1": "0563445566", "dematerialisation": "on", "visible": "on"}
    values.pop("email")
    values["id_number"] = request.data["id_number"]
    values["resp_identifier"] = request.data["resp_identifier"]
    response = client.post(path, values)
    assert response.status_code == 302, response.content.decode()[-2000:]
    request = RegistrationRequest.objects.get(pk=request.pk)
    assert request.state == RequestState.TO_VALIDATE
    assert request.account.phone1 == "0563445566"
    assert client.get(path).status_code == 404
