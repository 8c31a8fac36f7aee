"""What the console and the API show of an account's lifecycle: the expiry date and days
left, the last activity, the planned deletion, the exemption."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from caducee.accounts.models import Account, AccountState
from caducee.lifecycle.planning import planned_deletion
from caducee.lifecycle.rules import days_until, inactivity_days, last_activity, today


@dataclass(frozen=True)
class LifecycleStatus:
    state: str
    expiry_date: date | None
    expiry_days_left: int | None
    last_activity_at: datetime
    deletion_date: date | None  # None: never (exempt, deleted, or deletion switched off)
    deletion_days_left: int | None
    inactivity_days: int
    inactivity_exempt_reason: str
    deleted_at: datetime | None


def lifecycle_status(account: Account, on: date | None = None) -> LifecycleStatus:
    day = on or today()
    expiry = None if account.state in AccountState.closed() else account.expiry_date
    planned = planned_deletion(account, day)
    return LifecycleStatus(
        state=account.state,
        expiry_date=account.expiry_date,
        expiry_days_left=days_until(expiry, day),
        last_activity_at=last_activity(account),
        deletion_date=planned,
        deletion_days_left=days_until(planned, day),
        inactivity_days=inactivity_days(),
        inactivity_exempt_reason=account.inactivity_exempt_reason,
        deleted_at=account.deleted_at,
    )
