"""Client certificates in the pages (issue #17): the CPS login button, the partner's
certificates on « Sécurité », an external account's certificates in the console."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from caducee.coordination.access import is_external
from caducee.coordination.models import ExternalAccount
from caducee.identity.certificates import rules
from caducee.people.models import User

register = template.Library()


@register.inclusion_tag("identity/_cps_button.html")
def cps_login_button(next_url: str = "") -> dict[str, Any]:
    """« Se connecter avec une carte CPS », only when CADUCEE_CPS_LOGIN is on."""
    return {"enabled": bool(settings.CPS_LOGIN), "next": next_url}


@register.inclusion_tag("identity/security/_certificates.html", takes_context=True)
def certificates_security(context: template.Context, user: User) -> dict[str, Any]:
    """The « Certificats de connexion » section, for external partners (the only people who
    may hold one; whether a person is one never changes, and is already known here)."""
    if not is_external(user):
        return {"certificates": [], "may_ask": False}
    certificates = list(rules.certificates_of(user))
    return {
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "certificates": certificates,
        "may_ask": rules.may_ask(user),
        "years": settings.CERTIFICATE_YEARS,
    }


@register.inclusion_tag("identity/_external_certificates.html", takes_context=True)
def external_certificates(context: template.Context, external: ExternalAccount) -> dict[str, Any]:
    """The certificates of an external account, with « Révoquer », on its console page."""
    return {
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "certificates": list(rules.certificates_of(external.user)),
    }
