"""`caducee account move EMAIL --structure S`: « Rattacher à une autre structure ».

One call to `caducee.accounts.operations.move_account` (or `preview_move` with
`--preview`) with the server's context; the JSON output is the API's
(`caducee.api.account_moves_api.move_plan_out`).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from caducee.cli.account_links import find_account
from caducee.cli.output import print_json


def register(sub: Any) -> None:
    move = sub.add_parser(
        "move",
        help="rattacher un compte à une autre structure (il garde sa connexion, son mot de "
        "passe et ses messages ; son adresse MSSanté prend le domaine de la structure)",
    )
    move.add_argument("email", help="adresse mail du compte")
    move.add_argument(
        "--structure", required=True, help="structure d'arrivée : nom, identifiant ou domaine"
    )
    move.add_argument(
        "--preview",
        action="store_true",
        help="afficher seulement ce qui changerait (adresse, liens retirés), sans rien changer",
    )
    move.add_argument("--json", action="store_true", help="sortie JSON")
    move.set_defaults(func=move_account)


def _print_plan(plan: Any, *, done: bool) -> None:
    account, target = plan.account, plan.target
    if done:
        print(
            f"Le compte {account.email} est rattaché à {target.name} (avant : {plan.source.name})."
        )
    else:
        print(f"Rattacher {account.email} de {plan.source.name} à {target.name} :")
    if plan.old_address != plan.new_address:
        old = plan.old_address or "(aucune)"
        new = plan.new_address or "(aucune)"
        print(f"  Adresse MSSanté : {old} → {new}")
    for key, (before, after) in plan.changes.items():
        print(f"  {_header(key)} : {before} → {after}")
    if plan.detached:
        title = "Liens retirés" if done else "Liens qui seront retirés"
        print(f"Attention — {title} (ils relieraient deux structures) :")
        for link in plan.detached:
            print(f"  - {link.message}")
    for warning in plan.warnings:
        print(f"Attention : {warning.message}")
    if not done:
        print("Rien n'a été changé (--preview).")


def _header(key: str) -> str:
    from caducee.accounts.fields import BY_KEY

    spec = BY_KEY.get(key)
    return spec.header if spec is not None else key


def move_account(args: argparse.Namespace) -> int:
    from caducee.accounts import operations
    from caducee.api.account_moves_api import move_plan_out
    from caducee.core.context import cli_context
    from caducee.core.errors import Invalid
    from caducee.structures.access import find_structure

    account = find_account(args.email)
    target = find_structure(args.structure)
    try:
        if args.preview:
            plan = operations.preview_move(cli_context(), account, target)
        else:
            plan = operations.move_account(cli_context(), account, target)
    except Invalid as exc:  # one line: the problem repeats the message
        sys.stderr.write(f"Erreur : {exc.message}\n")
        return 1
    if args.json:
        print_json(move_plan_out(plan))
    else:
        _print_plan(plan, done=not args.preview)
    return 0
