"""`caducee account …`."""

from __future__ import annotations

import argparse
from typing import Any

from caducee.cli.output import print_json


def register(commands: Any) -> None:
    account = commands.add_parser("account", help="consulter les comptes")
    sub = account.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="lister les comptes d'une structure")
    listing.add_argument("--structure", required=True, help="nom ou identifiant")
    listing.add_argument("--state", default="", help="préinscrit, valide, désactivé…")
    listing.add_argument("--type", default="", help="PER, INT, ORG, MED ou APP")
    listing.add_argument("--json", action="store_true", help="sortie JSON")
    listing.set_defaults(func=list_accounts)
    show = sub.add_parser("show", help="afficher un compte")
    show.add_argument("email")
    show.add_argument("--json", action="store_true", help="sortie JSON")
    show.set_defaults(func=show_account)


def account_json(account: Any) -> dict[str, Any]:
    from caducee.accounts.export import export_values, keyed_values

    data: dict[str, Any] = keyed_values(account)
    data.update(
        email=account.email,
        type=account.type,
        state=account.state,
        state_label=account.get_state_display(),
        structure=account.structure.name,
        visible=account.visible,
        is_test=account.is_test,
        columns=export_values(account),
    )
    return data


def list_accounts(args: argparse.Namespace) -> int:
    from caducee.accounts.models import Account
    from caducee.accounts.queries import state_from_text
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    queryset = (
        Account.objects.filter(structure=structure)
        .select_related("structure")
        .prefetch_related("connection_links__account")
        .order_by("email")
    )
    if args.state:
        queryset = queryset.filter(state=state_from_text(args.state))
    if args.type:
        queryset = queryset.filter(type=args.type.upper())
    if args.json:
        print_json([account_json(a) for a in queryset])
        return 0
    for a in queryset:
        print(f"{a.email}\t{a.type}\t{a.get_state_display()}\t{a.last_name} {a.first_name}")
    return 0


def show_account(args: argparse.Namespace) -> int:
    from caducee.accounts.models import Account
    from caducee.core.errors import NotFound

    account = (
        Account.objects.select_related("structure").filter(email=args.email.strip().lower()).first()
    )
    if account is None:
        raise NotFound(f"Aucun compte {args.email}.")
    data = account_json(account)
    if args.json:
        print_json(data)
        return 0
    print(
        f"{account.email} — {account.type} — {account.get_state_display()} — "
        f"{account.structure.name}"
    )
    for header, value in data["columns"].items():
        if value:
            print(f"  {header} : {value}")
    return 0
