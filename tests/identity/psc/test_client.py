"""The OpenID Connect exchange (caducee.identity.psc.client) against the loopback provider."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from caducee.identity.psc import client, config
from tests.identity.psc.provider import CLIENT_ID, SUB, Provider, configured

CALLBACK = "http://testserver/connexion/psc/retour/"


@pytest.fixture
def provider(settings: Any) -> Iterator[Provider]:
    with configured(settings) as running:
        yield running


def _settings() -> config.PscConfig:
    current = config.current()
    assert current is not None
    return current


def _round_trip(provider: Provider) -> client.Identity:
    url, flow = client.start(_settings(), CALLBACK)
    back = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    return client.finish(_settings(), flow, back, CALLBACK)


def test_the_authorization_request_carries_what_psc_requires(provider: Provider) -> None:
    url, flow = client.start(_settings(), CALLBACK)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(f"{provider.base}/auth?")
    assert query["scope"] == "openid scope_all" and query["acr_values"] == "eidas1"
    assert query["client_id"] == CLIENT_ID and query["redirect_uri"] == CALLBACK
    assert query["state"] == flow["state"] and query["nonce"] == flow["nonce"]
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] != flow["verifier"]


def test_a_round_trip_merges_id_token_and_userinfo(provider: Provider) -> None:
    identity = _round_trip(provider)
    assert identity.sub == SUB
    assert identity.claims["acr"] == "eidas1" and identity.claims["SubjectNameID"].startswith("8")


def test_a_new_signing_key_is_fetched_once_its_kid_appears(provider: Provider) -> None:
    _round_trip(provider)  # the JWKS of the first key is now cached
    provider.rotate()
    assert _round_trip(provider).sub == SUB


def test_discovery_naming_another_issuer_is_refused(provider: Provider) -> None:
    provider.faults.add("issuer")
    with pytest.raises(client.PscError) as refused:
        client.start(_settings(), CALLBACK)
    assert "issuer mismatch" in refused.value.reason
    assert not isinstance(refused.value, client.ProviderDown)


def test_a_provider_that_does_not_answer_is_down(provider: Provider) -> None:
    provider.stop()
    with pytest.raises(client.ProviderDown) as down:
        client.start(_settings(), CALLBACK)
    assert "ne répond pas" in down.value.message


def test_logout_url_names_the_id_token_and_the_return(provider: Provider) -> None:
    url = client.logout_url(_settings(), "the-id-token", "https://caducee.example/connexion/")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(f"{provider.issuer}/protocol/openid-connect/logout?")
    assert query["id_token_hint"] == "the-id-token" and query["client_id"] == CLIENT_ID
    assert query["post_logout_redirect_uri"] == "https://caducee.example/connexion/"
