"""Builders for directory tests."""

from __future__ import annotations

from typing import Any

from caducee.accounts.models import Account, AccountState
from caducee.accounts.operations import mark_finalised
from caducee.structures.models import Structure
from tests import factories


def listed_account(structure: Structure, kind: str = "PER", **overrides: Any) -> Account:
    """An account that shows in the regional directory (finalised when nominative)."""
    account = factories.make_account(structure, kind, **overrides)
    if account.is_nominative:
        mark_finalised(account)
    assert account.state == AccountState.VALID
    return account
