"""The finalisation email sent to a new nominative account's owner."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from caducee.accounts.models import Account
from caducee.audit.log import record
from caducee.core.context import Context
from caducee.core.email import send_on_commit
from caducee.identity import links
from caducee.identity.models import LinkPurpose


def send_invitation(ctx: Context, account: Account) -> None:
    """Issue a fresh single-use finalisation link (older ones stop working), email it on commit.

    The audit event names who issued it (the context's person) and the account's structure;
    the finalisation event quotes it (identity.operations._link_issuer).

    Must run inside the caller's transaction; permission is the caller's business. The
    email is a background task (caducee/emails/), queued with the transaction.
    """
    if account.user is None:
        return
    days = int(settings.FINALISATION_DAYS)
    token = links.issue(LinkPurpose.FINALISE, account.user, days=days)
    url = links.base_url() + reverse("identity:finalise", args=[token])
    context = {"account": account, "structure": account.structure, "url": url, "days": days}
    send_on_commit(account.email, "finalisation", context)
    record(
        ctx,
        "identity.invitation_sent",
        structure=account.structure,
        target=account,
        detail={"expires_in_days": days, "sent_to": account.email},
    )
