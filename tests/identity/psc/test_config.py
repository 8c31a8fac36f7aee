"""The three Pro Santé Connect settings."""

from __future__ import annotations

from typing import Any

from caducee.identity.psc import config


def test_off_without_a_client_id(settings: Any) -> None:
    settings.PSC_CLIENT_ID = ""
    assert config.current() is None and not config.enabled()


def test_sandbox_and_production_name_the_ans_issuers(settings: Any) -> None:
    settings.PSC_CLIENT_ID = "caducee"
    settings.PSC_ISSUER = "sandbox"
    sandbox = config.current()
    assert sandbox is not None
    assert sandbox.discovery_url == (
        "https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet"
        "/.well-known/wallet-openid-configuration"
    )
    settings.PSC_ISSUER = "production"
    assert config.issuer_url("") == config.issuer_url("PRODUCTION")
    production = config.current()
    assert production is not None
    assert production.issuer == "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet"


def test_a_custom_issuer_is_kept_without_its_trailing_slash(settings: Any) -> None:
    settings.PSC_CLIENT_ID = "caducee"
    settings.PSC_ISSUER = "http://127.0.0.1:8080/realms/test/"
    current = config.current()
    assert current is not None and current.issuer == "http://127.0.0.1:8080/realms/test"


def test_a_pem_key_in_the_secret_means_private_key_jwt(settings: Any) -> None:
    settings.PSC_CLIENT_ID = "caducee"
    settings.PSC_CLIENT_SECRET = "-----BEGIN PRIVATE KEY-----\nMII…\n-----END PRIVATE KEY-----"
    current = config.current()
    assert current is not None and current.uses_private_key
    settings.PSC_CLIENT_SECRET = "un-secret"
    current = config.current()
    assert current is not None and not current.uses_private_key
