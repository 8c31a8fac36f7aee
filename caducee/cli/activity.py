"""`caducee activity …`: the figures of « Activité structure » from the shell."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

KEYS = ("comptes-par-etat", "comptes-par-type", "messages-par-semaine", "boites", "imports")


def register(commands: Any) -> None:
    activity = commands.add_parser(
        "activity", help="chiffres d'« Activité structure » (comptes, messages, boîtes, imports)"
    )
    sub = activity.add_subparsers(title="actions", metavar="ACTION", required=True)
    show = sub.add_parser(
        "show",
        help="afficher les tableaux d'une structure, ou de toute la plateforme sans --structure",
    )
    show.add_argument("--structure", default="", help="nom, identifiant ou domaine")
    show.add_argument("--table", choices=KEYS, help="un seul tableau (son nom de fichier CSV)")
    show.add_argument(
        "--output", default="", help="écrire le tableau (--table) dans ce fichier CSV"
    )
    show.add_argument("--json", action="store_true", help="sortie JSON (comme l'API)")
    show.set_defaults(func=show_activity)


def show_activity(args: argparse.Namespace) -> int:
    from caducee.cli.output import print_json
    from caducee.stats.figures import activity_tables
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure) if args.structure else None
    tables = [t for t in activity_tables(structure) if args.table in (None, t.key)]
    if args.output:
        if len(tables) != 1:
            sys.stderr.write(
                "Indiquez le tableau à écrire avec --table (un fichier par tableau).\n"
            )
            return 2
        Path(args.output).write_bytes(tables[0].csv())
        print(f"Tableau « {tables[0].title} » écrit dans {args.output}.")
        return 0
    if args.json:
        print_json(
            {
                "tables": [
                    {"key": t.key, "title": t.title, "columns": t.columns, "rows": t.rows}
                    for t in tables
                ]
            }
        )
        return 0
    for n, table in enumerate(tables):
        if n:
            print()
        print(f"# {table.title}")
        print(table.csv().decode("utf-8-sig").rstrip("\r\n").replace("\r\n", "\n"))
    return 0
