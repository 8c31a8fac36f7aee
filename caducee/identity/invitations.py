"""The finalisation email sent to a new nominative account's owner."""

from __future__ import annotations

from django.urls import reverse

from caducee.accounts.models import Account
from caducee.audit.log import record
from caducee.core.context import Context
from caducee.core.email import send_on_commit
from caducee.identity import links
from caducee.identity.models import LinkPurpose


def send_invitation(ctx: Context, account: Account) -> None:
    """Issue a fresh single-use link (older ones stop working) and email it on commit."""
    if account.user is None:
        return
    token = links.issue(LinkPurpose.SET_PASSWORD, account.user)
    url = links.base_url() + reverse("identity:set_password", args=[token])
    send_on_commit(account.email, "finalisation", {"account": account, "url": url})
    record(ctx, "identity.invitation_sent", structure=account.structure, target=account)
