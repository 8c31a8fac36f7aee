"""The 30- and 7-day warnings of expiry and inactivity, sent once per due date.

Each warning goes to the mailbox's own address and to every admin of its structure. The
row of `LifecycleWarning` is written with the emails, in one transaction: a second run
(the same day or later) finds it and sends nothing again.
"""

from __future__ import annotations

import hashlib
from datetime import date

from django.db import IntegrityError, transaction
from django.urls import reverse

from caducee.accounts.models import Account
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.email import send_on_commit
from caducee.identity import links
from caducee.lifecycle.models import LifecycleWarning, WarningKind
from caducee.lifecycle.rules import WARNING_DAYS
from caducee.people.models import User

TEMPLATES = {
    WarningKind.EXPIRY: "lifecycle_expiry_warning",
    WarningKind.INACTIVITY: "lifecycle_inactivity_warning",
}


def threshold(days_left: int) -> int | None:
    """The warning due with `days_left` days to go: the smallest threshold reached
    (a run missed for a while sends the 7-day warning, not a late 30-day one)."""
    reached = [days for days in WARNING_DAYS if days_left <= days]
    return min(reached) if reached else None


def admin_emails(account: Account) -> list[str]:
    return sorted(
        User.objects.filter(
            admin_roles__structure_id=account.structure_id, is_active=True
        ).values_list("email", flat=True)
    )


def warn(
    ctx: Context, account: Account, kind: str, due: date, on: date, shown: date | None = None
) -> bool:
    """Send the warning due today about `due`, unless it was sent already; True if sent.

    `shown`: the date the email announces when it differs from `due` (a deletion is never
    less than a week after its first warning)."""
    days_left = (due - on).days
    shown = shown or due
    days = threshold(days_left)
    if days is None:
        return False
    if LifecycleWarning.objects.filter(
        account=account, kind=kind, due_date=due, days__lte=days
    ).exists():
        return False
    recipients = [account.email, *(e for e in admin_emails(account) if e != account.email)]
    console = links.base_url() + reverse("console:account", args=[account.structure_id, account.pk])
    try:
        with transaction.atomic():
            LifecycleWarning.objects.create(
                account=account,
                kind=kind,
                days=days,
                due_date=due,
                sent_on=on,
                recipients=len(recipients),
            )
            for index, to in enumerate(recipients):
                context = {
                    "account": account,
                    "structure": account.structure,
                    "due_date": shown,
                    "days_left": (shown - on).days,
                    "for_admin": index > 0,
                    "console_url": console,
                    "login_url": links.base_url() + reverse("identity:login"),
                }
                recipient = hashlib.sha256(to.encode()).hexdigest()[:16]
                key = f"lifecycle:{kind}:{account.pk}:{due.isoformat()}:{days}:{recipient}"
                send_on_commit(to, TEMPLATES[WarningKind(kind)], context, key=key)
            record_event(
                ctx,
                AuditAction.ACCOUNT_LIFECYCLE_WARNING,
                structure=account.structure,
                target=account,
                detail={
                    "kind": kind,
                    "days": days,
                    "due_date": due.isoformat(),
                    "announced": shown.isoformat(),
                    "recipients": recipients,
                },
            )
    except IntegrityError:  # another run sent it meanwhile
        return False
    return True


def last_warning_on(account: Account, kind: str, due: date) -> date | None:
    """The day the latest warning about this due date was sent."""
    return (
        LifecycleWarning.objects.filter(account=account, kind=kind, due_date=due)
        .order_by("-sent_on")
        .values_list("sent_on", flat=True)
        .first()
    )
