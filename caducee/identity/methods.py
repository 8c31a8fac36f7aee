"""The login methods this platform offers, and those of one person (issue #17 point 5).

One table feeds the login page, the activation page of an external account and its recap
email, and « Sécurité »: a method the operator did not configure is never mentioned.

- `email`: a one-time code by email (always);
- `sms`: a one-time code by SMS (a gateway is configured: `caducee.identity.sms`);
- `totp`: an authenticator app (always);
- `psc`: Pro Santé Connect (`CADUCEE_PSC_CLIENT_ID` set);
- `cps`: a CPS card read by the TLS terminator (`CADUCEE_CPS_LOGIN`, issue #17 point 2);
- `certificate`: a browser certificate from the platform's partner CA (its certificate
  file exists, issue #17 point 3).
The last two read the settings of the client-certificate feature; while it is absent
(getattr defaults), they stay off.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from caducee.identity import sms
from caducee.identity.models import Security
from caducee.identity.psc import config as psc_config
from caducee.people.models import User

EMAIL = "email"
SMS = "sms"
TOTP = "totp"
PSC = "psc"
CPS = "cps"
CERTIFICATE = "certificate"

LABELS = {
    EMAIL: "Code par mail",
    SMS: "Code par SMS",
    TOTP: "Application d'authentification",
    PSC: "Pro Santé Connect",
    CPS: "Carte CPS",
    CERTIFICATE: "Certificat de sécurité du navigateur",
    "trusted_browser": "Navigateur mémorisé",
}


@dataclass(frozen=True)
class Method:
    key: str
    label: str


@dataclass(frozen=True)
class Offer:
    """What the pages and emails offer one person: the platform's methods, and the mobile
    (masked) their SMS codes would go to, when one is known."""

    keys: frozenset[str]
    mobile: str = ""

    @property
    def sms(self) -> bool:
        return SMS in self.keys

    @property
    def psc(self) -> bool:
        return PSC in self.keys

    @property
    def cps(self) -> bool:
        return CPS in self.keys

    @property
    def certificate(self) -> bool:
        return CERTIFICATE in self.keys


def offer(user: User | None = None) -> Offer:
    """The platform's methods, with the person's known mobile when SMS is offered."""
    keys = platform_keys()
    mobile = ""
    if user is not None and SMS in keys:
        confirmed = Security.objects.filter(user=user).values_list("sms_number", flat=True)
        number = next(iter(confirmed), "") or known_mobile(user)
        mobile = sms.masked(number) if number else ""
    return Offer(frozenset(keys), mobile)


def label(key: str) -> str:
    """The French name of a method (audit events and pages)."""
    return LABELS.get(key, key)


def _cps_login() -> bool:
    return bool(getattr(settings, "CPS_LOGIN", False))  # issue #17 point 2 (certificates)


def _partner_ca() -> bool:
    path = str(getattr(settings, "CERTIFICATE_CA_CERT", "") or "")  # issue #17 point 3
    return bool(path) and Path(path).is_file()


def platform_methods() -> list[Method]:
    """The methods configured on this platform, in the order the pages list them."""
    keys = [EMAIL]
    keys += [SMS] if sms.enabled() else []
    keys += [TOTP]
    keys += [PSC] if psc_config.enabled() else []
    keys += [CPS] if _cps_login() else []
    keys += [CERTIFICATE] if _partner_ca() else []
    return [Method(key, LABELS[key]) for key in keys]


def platform_keys() -> set[str]:
    return {method.key for method in platform_methods()}


def second_factor_of(security: Security) -> str:
    """The code a password login asks of this person: app, else SMS (when this platform
    sends SMS), else email (login_flow.second_factor, a remembered browser aside)."""
    if security.totp_enabled:
        return TOTP
    return SMS if security.sms_enabled and sms.enabled() else EMAIL


def known_mobile(user: User) -> str:
    """A mobile number the platform already knows for the person (international form), or ''.

    Their account's phones first, then the phones their structures' coordination contacts
    hold for them as an external partner. Only a suggestion: SMS needs a confirmed number.
    """
    from caducee.accounts.models import Account
    from caducee.coordination.models import Contact

    phones: list[str] = []
    account = Account.objects.filter(user=user).values_list("phone1", "phone2").first()
    if account is not None:
        phones += [phone for phone in account if phone]
    phones += list(
        Contact.objects.filter(external_account__user=user)
        .exclude(phone="")
        .order_by("pk")
        .values_list("phone", flat=True)
    )
    return next((number for number in map(sms.normalise, phones) if number), "")
