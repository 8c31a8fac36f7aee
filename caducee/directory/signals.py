"""Keep the search table in step with accounts and structures changed by other apps."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from caducee.accounts.models import Account
from caducee.structures.models import Structure


def _account_saved(sender: type[Account], instance: Account, raw: bool = False, **_: Any) -> None:
    if raw:
        return
    from caducee.directory.entries import refresh_entry

    refresh_entry(instance)


def _structure_saved(
    sender: type[Structure], instance: Structure, created: bool = False, raw: bool = False, **_: Any
) -> None:
    if raw or created:
        return
    from caducee.directory.entries import refresh_structure

    refresh_structure(instance)


def connect() -> None:
    post_save.connect(_account_saved, sender=Account, dispatch_uid="directory_account_saved")
    post_save.connect(_structure_saved, sender=Structure, dispatch_uid="directory_structure_saved")
    # Rows cascade with the account (on_delete=CASCADE): nothing to do on delete.
