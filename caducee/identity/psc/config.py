"""The Pro Santé Connect settings: `CADUCEE_PSC_CLIENT_ID`, `CADUCEE_PSC_CLIENT_SECRET`
and `CADUCEE_PSC_ISSUER` (docs/CONFIGURATION.md)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

# ANS keycloak-prosanteconnect psc.properties (shared REFERENCE.md §4).
ISSUERS = {
    "sandbox": "https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet",
    "production": "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet",
}
DISCOVERY_PATH = "/.well-known/wallet-openid-configuration"  # PSC's non-standard name
SCOPE = "openid scope_all"
ACR_VALUES = "eidas1"
TIMEOUT_SECONDS = 5  # a provider that does not answer must not hold the login page


@dataclass(frozen=True)
class PscConfig:
    client_id: str
    client_secret: str
    issuer: str

    @property
    def discovery_url(self) -> str:
        return self.issuer + DISCOVERY_PATH

    @property
    def uses_private_key(self) -> bool:
        """A PEM private key in place of a secret: the client signs its token requests."""
        return "PRIVATE KEY-----" in self.client_secret


def issuer_url(value: str) -> str:
    """`sandbox`, `production` (the default) or a custom issuer URL, without trailing /."""
    name = value.strip() or "production"
    return ISSUERS.get(name.lower(), name).rstrip("/")


def current() -> PscConfig | None:
    """The configuration when a client id is set, else None (Pro Santé Connect is off)."""
    client_id = str(getattr(settings, "PSC_CLIENT_ID", "") or "").strip()
    if not client_id:
        return None
    return PscConfig(
        client_id=client_id,
        client_secret=str(getattr(settings, "PSC_CLIENT_SECRET", "") or ""),
        issuer=issuer_url(str(getattr(settings, "PSC_ISSUER", "") or "")),
    )


def enabled() -> bool:
    return current() is not None
