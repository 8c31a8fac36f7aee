"""`caducee demo`."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any) -> None:
    demo = commands.add_parser(
        "demo", help="remplir une base vide avec des données de démonstration"
    )
    demo.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.demo import fill_demo

    result = fill_demo(cli_context())
    print(
        f"Structure de démonstration créée : {result.structure.name} ({result.accounts} comptes)."
    )
    print(f"Administrateur : {result.admin_email} — mot de passe : {result.admin_password}")
    print("Ce mot de passe n'est affiché qu'une fois.")
    return 0
