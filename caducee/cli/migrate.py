"""`caducee migrate`: the only command that changes the database schema."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(commands: Any) -> None:
    migrate = commands.add_parser(
        "migrate",
        help="mettre à jour le schéma de la base de données (avant de démarrer les services)",
        description=(
            "Applique les migrations en attente. C'est la seule commande qui modifie le "
            "schéma : lancez-la une fois après chaque installation ou mise à jour, avant "
            "« caducee serve », « caducee web » ou « caducee smtp », qui refusent de "
            "démarrer sur une base qui n'est pas à jour."
        ),
    )
    migrate.add_argument(
        "--check",
        action="store_true",
        help="ne rien appliquer : code de sortie 1 si des migrations sont en attente",
    )
    migrate.set_defaults(func=run, migrates=True)


def run(args: argparse.Namespace) -> int:
    from caducee.cli.schema import apply_migrations, pending_migrations

    if args.check:
        pending = pending_migrations()
        if not pending:
            print("La base de données est à jour.")
            return 0
        names = ", ".join(pending) if len(pending) <= 10 else f"{', '.join(pending[:10])}…"
        sys.stderr.write(
            f"{len(pending)} migration(s) en attente ({names}) : lancez « caducee migrate ».\n"
        )
        return 1
    applied = apply_migrations()
    if not applied:
        print("La base de données est déjà à jour : aucune migration à appliquer.")
        return 0
    for name in applied:
        print(f"  appliquée : {name}")
    print(f"Base de données à jour : {len(applied)} migration(s) appliquée(s).")
    return 0
