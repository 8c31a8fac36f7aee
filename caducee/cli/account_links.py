"""`caducee account …` on an account's links: the connection accounts of an ORG/APP
mailbox, the mailboxes a person opens (default, receipt notifications), delegates.

Each write is one call to `caducee.accounts.operations` with the server's context; the
JSON output is the API's (`caducee.api.serializers`).
"""

from __future__ import annotations

import argparse
from typing import Any

from caducee.cli.output import print_json


def find_account(email: str) -> Any:
    """The account at this address (any structure: the CLI acts as the server)."""
    from caducee.accounts.models import Account
    from caducee.core.errors import NotFound

    account = (
        Account.objects.select_related("structure").filter(email=email.strip().lower()).first()
    )
    if account is None:
        raise NotFound(f"Aucun compte {email}.")
    return account


def list_connections(args: argparse.Namespace) -> int:
    from caducee.api.serializers import connection_out

    mailbox = find_account(args.mailbox)
    links = mailbox.connection_links.select_related("account").order_by("account__email")
    if args.json:
        print_json([connection_out(link) for link in links])
        return 0
    if not links:
        print("Aucun compte de connexion.")
    for link in links:
        print(link.account.email)
    return 0


def add_connections(args: argparse.Namespace) -> int:
    from caducee.accounts import operations
    from caducee.core.context import cli_context

    mailbox = find_account(args.mailbox)
    added = operations.add_connection_accounts(cli_context(), mailbox, ",".join(args.emails))
    if added:
        print(f"Compte(s) de connexion ajouté(s) : {', '.join(a.email for a in added)}.")
    else:
        print("Ces comptes étaient déjà comptes de connexion.")
    return 0


def remove_connection(args: argparse.Namespace) -> int:
    from caducee.accounts import operations
    from caducee.core.context import cli_context
    from caducee.core.errors import NotFound

    mailbox = find_account(args.mailbox)
    email = args.email.strip().lower()
    link = mailbox.connection_links.select_related("account").filter(account__email=email).first()
    if link is None:
        raise NotFound(f"{email} n'est pas compte de connexion de {mailbox.email}.")
    operations.remove_connection_account(cli_context(), mailbox, link.account)
    print(f"{link.account.email} n'est plus compte de connexion de {mailbox.email}.")
    return 0


def list_mailboxes(args: argparse.Namespace) -> int:
    from caducee.accounts import operations

    account = find_account(args.email)
    notified = set(
        account.mailbox_links.filter(notify_on_receipt=True).values_list("mailbox_id", flat=True)
    )
    default_id = account.default_mailbox_id or account.pk
    for box in operations.openable_mailboxes(account, include_deactivated=True):
        marks = [
            mark
            for mark, on in (("par défaut", box.pk == default_id), ("avis", box.pk in notified))
            if on
        ]
        print(f"{box.email}\t{box.type}\t{', '.join(marks)}")
    return 0


def set_default(args: argparse.Namespace) -> int:
    from caducee.accounts import operations
    from caducee.core.context import cli_context

    account = find_account(args.email)
    mailbox = find_account(args.mailbox)
    operations.set_default_mailbox(cli_context(), account, mailbox)
    print(f"{account.email} ouvrira {mailbox.email} à la connexion.")
    return 0


def set_notification(args: argparse.Namespace) -> int:
    from caducee.accounts import operations
    from caducee.cli.directory import on_off
    from caducee.core.context import cli_context

    on = on_off(args.state)
    account = find_account(args.email)
    mailbox = find_account(args.mailbox)
    operations.set_receipt_notification(cli_context(), account, mailbox, on)
    print(f"Avis de réception de {mailbox.email} pour {account.email} : {'oui' if on else 'non'}.")
    return 0


def list_delegates(args: argparse.Namespace) -> int:
    from caducee.api.serializers import delegate_out

    account = find_account(args.email)
    delegations = account.delegations.select_related("delegate").order_by("delegate__email")
    if args.json:
        print_json([delegate_out(d) for d in delegations])
        return 0
    if not delegations:
        print("Aucun délégué.")
    for delegation in delegations:
        print(f"{delegation.delegate.email}\t{delegation.get_right_display()}")
    return 0


def add_delegate(args: argparse.Namespace) -> int:
    from caducee.accounts import operations
    from caducee.core.context import cli_context

    account = find_account(args.email)
    delegation = operations.add_delegate(cli_context(), account, args.delegate, args.right)
    print(
        f"{delegation.delegate.email} est délégué de {account.email} (« {delegation.right_text} »)."
    )
    return 0


def set_delegate_right(args: argparse.Namespace) -> int:
    from caducee.accounts import operations
    from caducee.core.context import cli_context
    from caducee.core.errors import NotFound

    account = find_account(args.email)
    email = args.delegate.strip().lower()
    delegation = account.delegations.filter(delegate__email=email).first()
    if delegation is None:
        raise NotFound(f"{email} n'est pas délégué de {account.email}.")
    delegation = operations.set_delegate_right(
        cli_context(), account, delegation.delegate, args.right
    )
    print(f"Droits de {email} sur {account.email} : « {delegation.right_text} ».")
    return 0


def remove_delegate(args: argparse.Namespace) -> int:
    from caducee.accounts import operations
    from caducee.core.context import cli_context
    from caducee.core.errors import NotFound

    account = find_account(args.email)
    email = args.delegate.strip().lower()
    delegation = (
        account.delegations.select_related("delegate").filter(delegate__email=email).first()
    )
    if delegation is None:
        raise NotFound(f"{email} n'est pas délégué de {account.email}.")
    operations.remove_delegate(cli_context(), account, delegation.delegate)
    print(f"{email} n'est plus délégué de {account.email}.")
    return 0
