"""When a mailbox will actually be deleted: its deletion date, but never less than
`MIN_NOTICE_DAYS` after the first warning about that date."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.db.models import Min

from caducee.accounts.models import Account
from caducee.lifecycle.models import LifecycleWarning, WarningKind
from caducee.lifecycle.rules import MIN_NOTICE_DAYS, deletion_date


def first_warnings(accounts: Iterable[Account]) -> dict[tuple[int, date], date]:
    """(account id, due date) → the day the first inactivity warning about it was sent."""
    ids = [account.pk for account in accounts]
    rows = (
        LifecycleWarning.objects.filter(account_id__in=ids, kind=WarningKind.INACTIVITY)
        .values("account_id", "due_date")
        .annotate(first=Min("sent_on"))
        .values_list("account_id", "due_date", "first")
    )
    return {(account_id, due): first for account_id, due, first in rows}


def planned_deletion(
    account: Account, on: date, first_warned: dict[tuple[int, date], date] | None = None
) -> date | None:
    """The day the mailbox is deleted if nothing changes; None when it never is."""
    due = deletion_date(account)
    if due is None:
        return None
    if first_warned is None:
        first_warned = first_warnings([account])
    warned = first_warned.get((account.pk, due))
    return max(due, (warned or on) + timedelta(days=MIN_NOTICE_DAYS))
