"""Pro Santé Connect login against a real OpenID Connect provider on loopback
(tests.identity.psc.provider.py): PKCE, state, nonce, ID token and userinfo checks,
matching by RPPS, several accounts, provider down, logout at the provider."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client
from django.utils.html import escape
from joserfc.jwk import RSAKey

from caducee.accounts.models import Account, AccountState
from caducee.audit.models import AuditEvent
from caducee.identity.mailboxes import SESSION_KEY
from caducee.identity.models import LoginCode
from caducee.structures.models import Structure
from tests import factories
from tests.identity.conftest import Capture, full_login
from tests.identity.psc.provider import CLIENT_ID, CLIENT_SECRET, RPPS, SUB, Provider, configured
from tests.smtp_sink import SmtpSink


@pytest.fixture
def provider(settings: Any) -> Iterator[Provider]:
    with configured(settings) as running:
        yield running


@pytest.fixture
def doctor(pierre: Account) -> Account:
    Account.objects.filter(pk=pierre.pk).update(rpps=RPPS)
    pierre.refresh_from_db()
    return pierre


def at_provider(client: Client, start: str = "/connexion/psc/") -> str:
    """Click the button, let the provider approve; the URL it sends the browser back to."""
    response = client.get(start)
    assert response.status_code == 302, response.content
    back = requests.get(response["Location"], allow_redirects=False, timeout=5)
    assert back.status_code == 302, back.text
    return str(back.headers["Location"])


def psc_login(client: Client, start: str = "/connexion/psc/") -> Any:
    parts = urlsplit(at_provider(client, start))
    return client.get(f"{parts.path}?{parts.query}")


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_the_button_shows_only_with_a_client_id(client: Client, settings: Any) -> None:
    settings.PSC_CLIENT_ID = ""
    assert "Pro Santé Connect" not in client.get("/connexion/").content.decode()
    assert client.get("/connexion/psc/").status_code == 404
    settings.PSC_CLIENT_ID = CLIENT_ID
    page = client.get("/connexion/?next=/securite/").content.decode()
    assert "Se connecter avec Pro Santé Connect" in page
    assert 'href="/connexion/psc/?next=/securite/"' in page


def test_success_with_pkce_logs_in_without_an_emailed_code(
    client: Client, provider: Provider, doctor: Account
) -> None:
    response = psc_login(client)
    assert response.status_code == 302 and response["Location"] == "/ma-boite/"
    assert int(client.session["_auth_user_id"]) == doctor.user_id
    assert client.session[SESSION_KEY] == doctor.pk
    assert not LoginCode.objects.exists()  # no second factor asked: PSC is two factors
    authorize = provider.authorize_requests[0]
    assert authorize["scope"] == "openid scope_all" and authorize["acr_values"] == "eidas1"
    assert authorize["code_challenge_method"] == "S256"
    token_request = provider.token_requests[0]
    assert token_request["code_verifier"] and token_request["auth"] == "basic"
    (event,) = _events("identity.login")
    assert event.detail == {"method": "psc", "sub": SUB}
    assert event.actor_id == doctor.user_id


def test_next_is_kept_through_the_provider(
    client: Client, provider: Provider, doctor: Account
) -> None:
    response = psc_login(client, "/connexion/psc/?next=/securite/")
    assert response["Location"] == "/securite/"
    page = client.get("/securite/").content.decode()
    assert "Pro Santé Connect" in page and f"RPPS {RPPS}" in page
    assert "ouverte avec Pro Santé Connect" in page


def test_the_provider_checks_the_pkce_verifier(
    client: Client, provider: Provider, doctor: Account
) -> None:
    location = at_provider(client)
    flow = client.session["caducee_psc_flow"]
    session = client.session
    session["caducee_psc_flow"] = {**flow, "verifier": "x" * 64}
    session.save()
    parts = urlsplit(location)
    response = client.get(f"{parts.path}?{parts.query}")
    assert response["Location"] == "/connexion/"
    assert "_auth_user_id" not in client.session
    assert "invalid_grant" in _events("identity.psc_refused")[0].detail["reason"]


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("state", "MismatchingState"),
        ("nonce", "nonce"),
        ("expired", "exp"),
        ("aud", "aud"),
        ("signature", "BadSignature"),
        ("sub", "userinfo sub"),
    ],
)
def test_a_forged_answer_logs_no_one_in(
    client: Client, provider: Provider, doctor: Account, fault: str, reason: str
) -> None:
    provider.faults.add(fault)
    response = psc_login(client)
    assert response.status_code == 302 and response["Location"] == "/connexion/"
    assert "_auth_user_id" not in client.session
    page = client.get("/connexion/").content.decode()
    assert "La connexion avec Pro Santé Connect n&#x27;a pas pu être vérifiée" in page
    assert not _events("identity.login")
    (refused,) = _events("identity.psc_refused")
    assert reason in refused.detail["reason"]


def test_userinfo_as_a_signed_jwt(client: Client, provider: Provider, doctor: Account) -> None:
    provider.userinfo_jwt = True
    response = psc_login(client)
    assert response["Location"] == "/ma-boite/"
    assert int(client.session["_auth_user_id"]) == doctor.user_id


def test_userinfo_jwt_signed_by_another_key_is_refused(
    client: Client, provider: Provider, doctor: Account
) -> None:
    provider.userinfo_jwt = True
    provider.faults.add("signature")
    psc_login(client)
    assert "_auth_user_id" not in client.session


def test_client_secret_post_when_the_provider_offers_only_that(
    client: Client, provider: Provider, doctor: Account
) -> None:
    provider.auth_methods = ("client_secret_post",)
    assert psc_login(client)["Location"] == "/ma-boite/"
    assert provider.token_requests[0]["auth"] == "post"
    assert provider.token_requests[0]["client_secret"] == CLIENT_SECRET


def test_private_key_jwt_when_the_secret_is_a_pem_key(
    client: Client, provider: Provider, doctor: Account, settings: Any
) -> None:
    key = RSAKey.generate_key(2048)
    provider.client_key = RSAKey.import_key(key.as_dict(private=False))
    provider.auth_methods = ("private_key_jwt",)
    settings.PSC_CLIENT_SECRET = key.as_pem(private=True).decode()
    assert psc_login(client)["Location"] == "/ma-boite/"
    assert provider.token_requests[0]["auth"] == "private_key_jwt"
    assert "client_secret" not in provider.token_requests[0]


def test_private_key_jwt_signed_by_another_key_is_refused(
    client: Client, provider: Provider, doctor: Account, settings: Any
) -> None:
    provider.client_key = RSAKey.import_key(RSAKey.generate_key(2048).as_dict(private=False))
    provider.auth_methods = ("private_key_jwt",)
    settings.PSC_CLIENT_SECRET = RSAKey.generate_key(2048).as_pem(private=True).decode()
    psc_login(client)
    assert "_auth_user_id" not in client.session
    assert "invalid_client" in _events("identity.psc_refused")[0].detail["reason"]


def test_a_wrong_secret_is_refused(
    client: Client, provider: Provider, doctor: Account, settings: Any
) -> None:
    settings.PSC_CLIENT_SECRET = "not-the-secret"
    psc_login(client)
    assert "_auth_user_id" not in client.session
    assert "invalid_client" in _events("identity.psc_refused")[0].detail["reason"]


def test_a_replayed_return_is_refused(client: Client, provider: Provider, doctor: Account) -> None:
    parts = urlsplit(at_provider(client))
    assert client.get(f"{parts.path}?{parts.query}")["Location"] == "/ma-boite/"
    client.logout()
    response = client.get(f"{parts.path}?{parts.query}", follow=True)
    assert "a expiré ou a déjà servi" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not _events("identity.psc_refused")  # anyone can open that URL: no audit flood


def test_unknown_rpps_gets_a_clear_page_and_no_login(
    client: Client, provider: Provider, pierre: Account
) -> None:
    response = psc_login(client)
    page = response.content.decode()
    assert response.status_code == 403
    assert "Aucun compte Caducée ne porte cet identifiant" in page
    assert f"RPPS {RPPS}" in page and "administrateur de votre structure" in page
    assert "_auth_user_id" not in client.session
    (refused,) = _events("identity.psc_refused")
    assert refused.detail["sub"] == SUB and refused.target_label == f"RPPS {RPPS}"


def test_an_email_match_alone_logs_no_one_in(
    client: Client, provider: Provider, pierre: Account
) -> None:
    provider.claims["email"] = pierre.email
    provider.claims["otherIds"] = []
    assert psc_login(client).status_code == 403
    assert "_auth_user_id" not in client.session


def test_adeli_in_other_ids_matches(client: Client, provider: Provider, pierre: Account) -> None:
    Account.objects.filter(pk=pierre.pk).update(rpps="", adeli="759300015")
    provider.claims.update(
        SubjectNameID="0759300015",
        preferred_username="0759300015",
        otherIds=[{"identifiant": "759300015", "origine": "ADELI"}],
    )
    assert psc_login(client)["Location"] == "/ma-boite/"


@pytest.mark.parametrize("state", [AccountState.DEACTIVATED, AccountState.DELETED])
def test_a_closed_account_is_refused_with_a_message(
    client: Client, provider: Provider, doctor: Account, state: str
) -> None:
    Account.objects.filter(pk=doctor.pk).update(state=state)
    response = psc_login(client)
    assert response.status_code == 403
    assert "désactivé ou supprimé" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_account_not_yet_finalised_is_sent_to_its_link(
    client: Client, provider: Provider, paula: Account
) -> None:
    Account.objects.filter(pk=paula.pk).update(adeli="759300015")
    provider.claims.update(SubjectNameID="0759300015", otherIds=[])
    response = psc_login(client)
    assert response.status_code == 403 and "pas encore activé" in response.content.decode()


def test_several_accounts_lead_to_a_choice(
    client: Client, provider: Provider, doctor: Account, structure_b: Structure
) -> None:
    other = factories.make_account(structure_b, "PER", email="pierre.martin@clinique-b.fr")
    Account.objects.filter(pk=other.pk).update(rpps=RPPS, state=AccountState.VALID)
    response = psc_login(client)
    assert response["Location"] == "/connexion/psc/choisir/"
    assert "_auth_user_id" not in client.session
    page = client.get("/connexion/psc/choisir/").content.decode()
    assert doctor.email in page and other.email in page and "Clinique B" in page
    assert client.post("/connexion/psc/choisir/", {"account": "999999"}).status_code == 200
    response = client.post("/connexion/psc/choisir/", {"account": str(other.pk)})
    assert response["Location"] == "/ma-boite/"
    assert int(client.session["_auth_user_id"]) == other.user_id
    assert client.session[SESSION_KEY] == other.pk
    assert _events("identity.login")[0].detail == {"method": "psc", "sub": SUB}
    assert client.get("/connexion/psc/choisir/")["Location"] == "/connexion/"  # used once


def test_shared_mailboxes_open_with_changer_de_compte_as_usual(
    client: Client, provider: Provider, doctor: Account, secretariat: Account
) -> None:
    psc_login(client)
    response = client.post("/changer-de-compte/", {"mailbox": str(secretariat.pk)})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == secretariat.pk


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_provider_down_says_so_and_password_login_still_works(
    client: Client,
    settings: Any,
    doctor: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    settings.PSC_CLIENT_ID = CLIENT_ID
    settings.PSC_CLIENT_SECRET = CLIENT_SECRET
    settings.PSC_ISSUER = f"http://127.0.0.1:{_closed_port()}/auth/realms/esante-wallet"
    response = client.get("/connexion/psc/", follow=True)
    page = response.content.decode()
    assert "Pro Santé Connect ne répond pas pour le moment" in page
    assert "mot de passe" in page
    assert "unreachable" in _events("identity.psc_refused")[0].detail["reason"]
    response = full_login(client, django_capture_on_commit_callbacks, smtp_sink, doctor.email)
    assert response["Location"] == "/ma-boite/"


def test_provider_down_between_redirect_and_return(
    client: Client, provider: Provider, doctor: Account
) -> None:
    parts = urlsplit(at_provider(client))
    provider.stop()
    response = client.get(f"{parts.path}?{parts.query}", follow=True)
    assert "Pro Santé Connect ne répond pas" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_cancelled_login_at_the_provider(
    client: Client, provider: Provider, doctor: Account
) -> None:
    client.get("/connexion/psc/")
    state = client.session["caducee_psc_flow"]["state"]
    response = client.get(f"/connexion/psc/retour/?error=access_denied&state={state}", follow=True)
    assert "annulée ou refusée" in response.content.decode()


def test_logout_after_a_psc_login_ends_the_provider_session(
    client: Client, provider: Provider, doctor: Account
) -> None:
    psc_login(client)
    id_token = client.session["caducee_psc_id_token"]
    response = client.post("/deconnexion/")
    assert "_auth_user_id" not in client.session
    url = response.context["url"]
    assert url.startswith(f"{provider.issuer}/protocol/openid-connect/logout?")
    assert f'content="0; url={escape(url)}"' in response.content.decode()
    back = requests.get(url, allow_redirects=False, timeout=5)
    (logout,) = provider.logouts
    assert logout["id_token_hint"] == id_token
    assert logout["post_logout_redirect_uri"] == "http://testserver/connexion/"
    assert urlsplit(back.headers["Location"]).path == "/connexion/"
    assert parse_qs(urlsplit(back.headers["Location"]).query)["state"]


def test_logout_after_a_password_login_stays_local(
    client: Client,
    provider: Provider,
    doctor: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    full_login(client, django_capture_on_commit_callbacks, smtp_sink, doctor.email)
    assert client.post("/deconnexion/")["Location"] == "/connexion/"
    assert not provider.logouts
