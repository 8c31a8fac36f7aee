"""`{% registration_link %}`: « Créer un compte » on the login page, or whom to contact
when self-registration is closed (CADUCEE_REGISTRATION_REGIONS empty)."""

from __future__ import annotations

from typing import Any

from django import template

from caducee.registration.rules import open_regions

register = template.Library()


@register.inclusion_tag("registration/_login_link.html")
def registration_link() -> dict[str, Any]:
    return {"open": bool(open_regions())}
