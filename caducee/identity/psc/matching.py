"""Who a Pro Santé Connect login is: the national identifier and the accounts carrying it.

PSC names the professional by `SubjectNameID` / `preferred_username`, the idNat: `8` + RPPS
(12 characters) or `0` + ADELI (10), and may list other identifiers in `otherIds`
(`identifiant`, `origine` RPPS or ADELI). Only those are matched against the accounts'
RPPS/ADELI columns; an email address never is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from caducee.accounts.models import Account, AccountState, AccountType

RPPS_PREFIX = "8"
CLOSED = (AccountState.DEACTIVATED, AccountState.DELETED)
ADELI_PREFIX = "0"


@dataclass
class NationalIds:
    """The RPPS and ADELI numbers a login carries, and the idNat shown to the person."""

    shown: str = ""
    rpps: set[str] = field(default_factory=set)
    adeli: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.rpps or self.adeli)

    @property
    def label(self) -> str:
        """« RPPS 10000000009 » (or ADELI) for the French pages."""
        if self.rpps:
            return f"RPPS {min(self.rpps)}"
        if self.adeli:
            return f"ADELI {min(self.adeli)}"
        return self.shown


def _add_id_nat(ids: NationalIds, value: str) -> None:
    if len(value) == 12 and value.startswith(RPPS_PREFIX) and value.isdigit():
        ids.rpps.add(value[1:])
    elif len(value) == 10 and value.startswith(ADELI_PREFIX) and value.isdigit():
        ids.adeli.add(value[1:])


def national_ids(claims: dict[str, Any]) -> NationalIds:
    """The identifiers in the verified claims (ID token and userinfo merged)."""
    ids = NationalIds()
    for name in ("SubjectNameID", "preferred_username"):
        value = str(claims.get(name) or "").strip()
        if value:
            ids.shown = ids.shown or value
            _add_id_nat(ids, value)
    others = claims.get("otherIds")
    for other in others if isinstance(others, list) else []:
        if not isinstance(other, dict):
            continue
        value = str(other.get("identifiant") or "").strip()
        origin = str(other.get("origine") or "").strip().upper()
        if origin == "RPPS" and len(value) == 11 and value.isdigit():
            ids.rpps.add(value)
        elif origin == "ADELI" and len(value) == 9 and value.isdigit():
            ids.adeli.add(value)
        else:
            _add_id_nat(ids, value)
    return ids


@dataclass(frozen=True)
class Matches:
    """The nominative accounts with a login (a person) that carry these identifiers."""

    usable: list[Account]
    closed: list[Account]  # deactivated or deleted
    unfinished: list[Account]  # pre-registered, to validate or rejected


def matching_accounts(ids: NationalIds) -> Matches:
    if not ids:
        return Matches([], [], [])
    query = Q(rpps__in=sorted(ids.rpps)) if ids.rpps else Q(pk__in=[])
    if ids.adeli:
        query |= Q(adeli__in=sorted(ids.adeli))
    accounts = list(
        Account.objects.filter(query, type__in=AccountType.nominative(), user__isnull=False)
        .select_related("structure", "user")
        .order_by("email")
    )
    usable, closed, unfinished = [], [], []
    for account in accounts:
        assert account.user is not None
        if account.state in CLOSED or not account.user.is_active:
            closed.append(account)
        elif account.state != AccountState.VALID:
            unfinished.append(account)
        else:
            usable.append(account)
    return Matches(usable, closed, unfinished)
