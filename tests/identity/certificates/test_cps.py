"""CPS card login (issue #17, point 2): nginx verified the card's certificate against the
IGC-Santé chains; the platform reads the national identifier in its subject and logs in
the one account carrying that RPPS/ADELI, with no emailed code."""

from __future__ import annotations

from typing import Any
from typing import Any as SettingsWrapper

import pytest
from django.test import Client

from caducee.accounts.models import Account, AccountState
from caducee.accounts.operations import mark_finalised
from caducee.audit.models import AuditEvent
from caducee.identity.certificates import authority, cps
from caducee.structures.models import Structure
from tests import factories
from tests.identity.certificates import pki

pytestmark = pytest.mark.usefixtures("proxied", "cps_on")


@pytest.fixture
def cps_on(settings: SettingsWrapper) -> None:
    settings.CPS_LOGIN = True


def test_the_identifier_is_read_as_igc_sante_writes_it(igc: pki.IgcSante) -> None:
    current = pki.cps_card(igc).certificate
    assert "CN=899700735741" in current.subject.rfc4514_string()
    assert cps.national_ids_of(current).rpps == {pki.RPPS}
    assert cps.holder_label(current) == "KIT DOC0073574"
    legacy = pki.cps_card(igc, legacy=True).certificate
    assert cps.national_ids_of(legacy).rpps == {pki.RPPS}
    assert not cps.national_ids_of(pki.self_signed("Paul Durand").certificate)
    assert not cps.national_ids_of(pki.self_signed("12345678901").certificate)  # no prefix


def _cps(headers: dict[str, Any], **extra: Any) -> Any:
    return Client(**headers, **extra).get("/connexion/cps/")


def test_a_card_logs_its_holder_in_without_a_code(pierre_rpps: Account, igc: pki.IgcSante) -> None:
    card = pki.cps_card(igc).certificate
    client = Client(**pki.proxy_headers(card))
    response = client.get("/connexion/cps/")
    assert response.status_code == 302
    assert not response["Location"].startswith("/connexion/"), response["Location"]
    assert client.get("/securite/").status_code == 200  # logged in
    event = AuditEvent.objects.get(action="identity.login")
    assert event.actor_id == pierre_rpps.user_id
    assert event.detail["method"] == "cps"
    assert event.detail["serial"] == authority.serial_text(card)
    assert "899700735741" in event.detail["certificate"]


def test_the_login_page_offers_the_card_only_when_configured(settings: SettingsWrapper) -> None:
    assert "Se connecter avec une carte CPS" in Client().get("/connexion/").content.decode()
    settings.CPS_LOGIN = False
    assert "Se connecter avec une carte CPS" not in Client().get("/connexion/").content.decode()
    assert Client().get("/connexion/cps/").status_code == 404


def test_forged_headers_from_an_untrusted_peer_are_ignored(
    pierre_rpps: Account, igc: pki.IgcSante
) -> None:
    card = pki.cps_card(igc).certificate
    response = _cps(pki.proxy_headers(card), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 403
    assert "Aucun certificat de carte CPS" in response.content.decode()
    assert not AuditEvent.objects.filter(action="identity.login").exists()
    refused = AuditEvent.objects.get(action="identity.cps_refused")
    assert refused.detail == {"reason": "no certificate"}


def test_a_failed_verification_is_no_certificate(pierre_rpps: Account, igc: pki.IgcSante) -> None:
    headers = pki.proxy_headers(pki.cps_card(igc).certificate)
    headers["HTTP_X_CLIENT_VERIFY"] = "FAILED:certificate has expired"
    assert _cps(headers).status_code == 403
    assert not AuditEvent.objects.filter(action="identity.login").exists()


def test_an_unknown_identifier_gets_a_clear_page(structure_a: Structure, igc: pki.IgcSante) -> None:
    card = pki.cps_card(igc, rpps="99700000001").certificate
    response = _cps(pki.proxy_headers(card))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Aucun compte Caducée ne porte cet identifiant" in page
    assert "RPPS 99700000001" in page
    refused = AuditEvent.objects.get(action="identity.cps_refused")
    assert refused.detail["reason"] == "unknown identifier"
    assert refused.detail["serial"] == authority.serial_text(card)


def test_a_closed_account_is_refused(pierre_rpps: Account, igc: pki.IgcSante) -> None:
    Account.objects.filter(pk=pierre_rpps.pk).update(state=AccountState.DEACTIVATED)
    response = _cps(pki.proxy_headers(pki.cps_card(igc).certificate))
    assert response.status_code == 403
    assert "désactivé ou supprimé" in response.content.decode()


def test_several_mailboxes_lead_to_a_choice(
    pierre_rpps: Account, structure_b: Structure, igc: pki.IgcSante
) -> None:
    other = factories.make_account(structure_b, "PER", email="pierre.martin@clinique-b.fr")
    other.rpps = pki.RPPS
    other.save(update_fields=["rpps"])
    mark_finalised(other)
    card = pki.cps_card(igc).certificate
    client = Client(**pki.proxy_headers(card))
    response = client.get("/connexion/cps/")
    assert response["Location"] == "/connexion/cps/choisir/"
    # Another card cannot take over the choice (the session's cookie alone is not enough).
    intruder = Client(**pki.proxy_headers(pki.cps_card(igc, rpps="99700000001").certificate))
    intruder.cookies = client.cookies
    assert intruder.get("/connexion/cps/choisir/")["Location"] == "/connexion/"
    assert client.get("/connexion/cps/choisir/")["Location"] == "/connexion/"  # choice dropped
    assert client.get("/connexion/cps/")["Location"] == "/connexion/cps/choisir/"
    page = client.get("/connexion/cps/choisir/").content.decode()
    assert pierre_rpps.email in page and other.email in page
    chosen = client.post("/connexion/cps/choisir/", {"account": other.pk})
    assert chosen.status_code == 302 and not chosen["Location"].startswith("/connexion/")
    event = AuditEvent.objects.get(action="identity.login")
    assert event.actor_id == other.user_id and event.detail["method"] == "cps"


def test_a_partner_certificate_is_not_a_cps_card(
    partner_ca: authority.Authority, pierre_rpps: Account
) -> None:
    issued = authority.issue("8" + pki.RPPS, "x@exemple.fr", "8" + pki.RPPS)
    response = _cps(pki.proxy_headers(issued.certificate))
    assert response.status_code == 403
    assert "certificat de connexion de partenaire externe" in response.content.decode()
