"""Deleting a mailbox for inactivity: what goes, what stays (docs/ACCOUNTS.md, « Deletion »).

Goes: the MSSanté address (withdrawn from the regional and national directories), the
messages and folders of the mailbox, its connection links and delegations, every open
session, application password, API token and remembered browser of its person.
Stays: the account row as a tombstone (state « Supprimé », `deleted_at`, its fields), so
the export of deleted mailboxes and the audit journal can still name it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from caducee.accounts.models import Account, AccountState, ConnectionLink, Delegation
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.directory.addresses import mssante_address
from caducee.directory.operations import remove_mssante_address
from caducee.identity.revocation import revoke_account_access
from caducee.lifecycle.models import Deletion
from caducee.lifecycle.rules import last_activity
from caducee.mail.folders import delete_rows
from caducee.mail.models import Folder, Message


def _remove_messages(account: Account) -> dict[str, int]:
    messages = delete_rows(Message.objects.filter(mailbox=account))
    folders, _ = Folder.objects.filter(mailbox=account).delete()
    return {"messages": messages, "folders": folders}


def _remove_links(account: Account) -> dict[str, int]:
    links, _ = ConnectionLink.objects.filter(Q(mailbox=account) | Q(account=account)).delete()
    delegations, _ = Delegation.objects.filter(Q(account=account) | Q(delegate=account)).delete()
    Account.objects.filter(default_mailbox=account).update(default_mailbox=None)
    return {"connection_links": links, "delegations": delegations}


def delete_for_inactivity(ctx: Context, account: Account, on: date) -> Account:
    """Called by the lifecycle run (which checks the rule); audits `account.delete`.

    The row is kept as a tombstone; see the module's docstring for what is removed.
    """
    if account.is_deleted:
        return account
    activity = last_activity(account)
    address = mssante_address(account) or ""
    detail: dict[str, Any] = {
        "reason": "inactivity",
        "previous_state": account.state,
        "last_activity": timezone.localtime(activity).isoformat(),
        "mssante_address": address,
        "run_day": on.isoformat(),
    }
    with transaction.atomic():
        Deletion.objects.create(
            account=account, mssante_address=address, last_activity_at=activity, deleted_on=on
        )
        remove_mssante_address(ctx, account)  # audits directory.address_remove
        detail.update(_remove_messages(account))
        detail.update(_remove_links(account))
        revoke_account_access(ctx, account, "account_deleted")
        account.state = AccountState.DELETED
        account.deleted_at = timezone.now()
        account.visible = False
        account.save(update_fields=["state", "deleted_at", "visible", "updated_at"])
        record_event(
            ctx,
            AuditAction.ACCOUNT_DELETE,
            structure=account.structure,
            target=account,
            detail=detail,
        )
    return account
