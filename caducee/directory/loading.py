"""What the loaduser import asks of the directory: quotas, MSSanté addresses, search rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from caducee.accounts.models import Account
from caducee.core.context import Context
from caducee.directory.entries import (
    entry_row,
    insert_new_entries,
    is_listed,
    rebuild_entries,
    refresh_accounts,
)
from caducee.directory.operations import assign_mssante_addresses
from caducee.directory.quotas import check_capacity
from caducee.structures.models import Structure


def check_file_quotas(
    structures: Mapping[int, Structure], new_by_type: Mapping[int, Counter[str]]
) -> None:
    """Refuse the whole file when its new accounts would exceed a structure's quota."""
    for structure_id, counter in new_by_type.items():
        structure = structures.get(structure_id)
        if structure is None:
            structure = Structure.objects.get(pk=structure_id)
        check_capacity(structure, counter)


def apply_particles(ctx: Context, rows: Iterable[tuple[int, Account, str]]) -> None:
    """Set each line's « MSSanté adresse » with the rules of `assign_mssante_address`.

    An empty particle on a line removes the correspondence; a refused particle refuses the
    import, naming the line. The directory rows are refreshed by the import afterwards.
    """
    assign_mssante_addresses(ctx, list(rows))


def refresh_loaded(account_ids: Iterable[int]) -> None:
    refresh_accounts(account_ids)


def add_created(accounts: Iterable[Account]) -> None:
    """The search rows of accounts the import has just inserted, from the import's values.

    `accounts` hold the inserted rows' values and their structure, and answer `listing`
    as a new account does (no directory choices yet): the import passes views of its
    values (caducee/loadusers/inserted.py), nothing is read back. Each is listed or not
    and its row built by the same `is_listed` and `entry_row` as `refresh_accounts`, so
    the rows are the same (tested).
    """
    rows = [entry_row(account) for account in accounts if is_listed(account)]
    if not insert_new_entries(rows):
        rebuild_entries()
