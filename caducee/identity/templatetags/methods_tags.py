"""The login methods of this platform in pages and emails (issue #17 point 5).

`{% login_offer user as offer %}` gives `offer.sms`, `offer.mobile`, `offer.psc`,
`offer.cps`, `offer.certificate` (caducee/identity/methods.py); `{% login_methods_hint %}`
is the login page's line on the second step.
"""

from __future__ import annotations

from typing import Any

from django import template

from caducee.identity import methods
from caducee.people.models import User

register = template.Library()


@register.simple_tag
def login_offer(user: User | None = None) -> methods.Offer:
    return methods.offer(user if isinstance(user, User) else None)


@register.inclusion_tag("identity/_login_methods_hint.html")
def login_methods_hint() -> dict[str, Any]:
    """What the second step of a password login may ask, as configured here."""
    return {"offer": methods.offer()}
