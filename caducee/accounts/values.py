"""An account's values as the field table sees them, and how they are compared and stored.

Public because the loaduser importer compares file lines with stored accounts with the
same rules as `update_account` (no private helper is imported across apps).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from caducee.accounts.fields import STORED, FieldSpec
from caducee.accounts.models import Account
from caducee.accounts.validation import as_text


def stored_values(account: Account) -> dict[str, Any]:
    """The account's values for every stored column of the field table."""
    return {spec.key: getattr(account, spec.key) for spec in STORED}


def account_values(account: Account) -> dict[str, Any]:
    """Stored values plus connection accounts and structure, keyed like the field table."""
    values = stored_values(account)
    values["connection_accounts"] = sorted(
        account.connection_links.values_list("account__email", flat=True)
    )
    values["structure"] = account.structure.name
    return values


def raw_values(account: Account) -> dict[str, object]:
    """The account as raw input for `clean_account` (connection accounts ';'-joined)."""
    values: dict[str, object] = dict(stored_values(account))
    values["connection_accounts"] = ";".join(
        account.connection_links.values_list("account__email", flat=True)
    )
    return values


def db_value(spec: FieldSpec, value: Any) -> Any:
    """A cleaned value as its column stores it: "" for an empty text, None kept for the
    yes/no and date columns."""
    if spec.key in {"liberal", "expiry_date"}:
        return value
    return value if value is not None else ""


def diff_values(account: object, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The stored columns `values` would change: key -> [before, after], as text.

    `account` is an Account or any object with the stored columns as attributes (the
    importer reads rows without building model instances).
    """
    changes: dict[str, list[Any]] = {}
    for spec in STORED:
        before = getattr(account, spec.key)
        after = db_value(spec, values.get(spec.key))
        if before != after:
            changes[spec.key] = [as_text(before), as_text(after)]
    return changes


def derive_region(
    merged: MutableMapping[str, object],
    raw: Mapping[str, object],
    *,
    department: str,
    region: str,
) -> None:
    """Let `clean_account` re-derive the region from the department, by emptying it.

    The rule of every update (console, API, import): when `raw` gives a department and
    either no region, or the current region unchanged while the department changes, the
    region follows the new department. A region the caller did change is kept (and checked
    against the department). `department` and `region` are the account's current values;
    `merged` is the current values updated with `raw`.
    """
    if "department" not in raw:
        return
    if "region" not in raw:
        merged["region"] = ""
        return
    if as_text(raw["region"]) == region and as_text(raw["department"]) != department:
        merged["region"] = ""
