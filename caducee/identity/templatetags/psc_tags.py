"""Pro Santé Connect in the pages: the login button and what « Sécurité » says of it.

Both render nothing while `CADUCEE_PSC_CLIENT_ID` is empty (PSC is then off).
"""

from __future__ import annotations

from typing import Any

from django import template

from caducee.accounts.models import Account
from caducee.identity.mailboxes import own_account
from caducee.identity.psc import config
from caducee.identity.psc.views import ID_TOKEN
from caducee.people.models import User

register = template.Library()


@register.inclusion_tag("identity/_psc_button.html")
def psc_login_button(next_url: str = "") -> dict[str, Any]:
    """« Se connecter avec Pro Santé Connect », only when a client id is set."""
    return {"enabled": config.enabled(), "next": next_url}


@register.inclusion_tag("identity/_psc_security.html", takes_context=True)
def psc_security(context: template.Context, user: User) -> dict[str, Any]:
    """The « Pro Santé Connect » section of « Sécurité »: usable or not, and why."""
    if not config.enabled():
        return {"enabled": False}
    account = own_account(user)
    request = context.get("request")
    session = getattr(request, "session", None)
    return {
        "enabled": True,
        "account": account,
        "identifier": _identifier(account),
        "this_session": bool(session is not None and session.get(ID_TOKEN)),
    }


@register.inclusion_tag("identity/_psc_activation.html")
def psc_activation(account: Account) -> dict[str, Any]:
    """On the activation page: Pro Santé Connect as a way in, when configured."""
    return {"enabled": config.enabled(), "identifier": _identifier(account)}


def _identifier(account: Account | None) -> str:
    if account is None:
        return ""
    if account.rpps:
        return f"RPPS {account.rpps}"
    return f"ADELI {account.adeli}" if account.adeli else ""
