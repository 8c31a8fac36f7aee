"""`caducee referentials …`: the public RPPS extraction of the annuaire santé
(docs/REFERENTIALS.md)."""

from __future__ import annotations

import argparse
from typing import Any

from caducee.cli.output import print_json


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "referentials",
        help="référentiels : extraction RPPS de l'annuaire santé",
        description="Référentiels externes chargés par l'opérateur.",
    )
    sub = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    load = sub.add_parser(
        "rpps-import",
        help="charger l'extraction RPPS (PS_LibreAcces_*.zip ou son fichier Personne_activite)",
        description="Charge l'extraction publique de l'annuaire santé (fichier "
        "PS_LibreAcces_Personne_activite_*.txt de l'archive PS_LibreAcces_*.zip, "
        "annuaire.sante.fr) à la place de la précédente, d'un seul coup.",
    )
    load.add_argument(
        "file",
        metavar="FICHIER",
        help="le fichier PS_LibreAcces_Personne_activite_*.txt, ou l'archive PS_LibreAcces_*.zip "
        "telle que téléchargée",
    )
    load.add_argument("--json", action="store_true", help="résumé en JSON")
    load.set_defaults(func=rpps_import)
    check = sub.add_parser(
        "rpps-check",
        help="vérifier un RPPS, un nom et une profession contre l'extraction chargée",
    )
    check.add_argument("rpps", metavar="RPPS")
    check.add_argument("--nom", required=True, help="nom d'exercice")
    check.add_argument("--prenom", required=True, help="prénom d'exercice")
    check.add_argument("--profession", required=True, help="code profession (ex. 21)")
    check.add_argument("--json", action="store_true", help="résultat en JSON")
    check.set_defaults(func=rpps_check)


def rpps_import(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.referentials.operations import import_rpps_extraction

    summary = import_rpps_extraction(cli_context(), args.file)
    if args.json:
        print_json(
            {
                "file": summary.file_name,
                "lines_read": summary.lines_read,
                "professionals": summary.professionals,
                "lines_skipped": summary.lines_skipped,
                "skipped": summary.skipped,
                "examples": list(summary.examples),
                "replaced": summary.replaced,
            }
        )
    else:
        print("\n".join(summary.lines()))
    return 0


def rpps_check(args: argparse.Namespace) -> int:
    from caducee.referentials.rpps_check import check_professional

    result = check_professional(args.rpps, args.nom, args.prenom, args.profession)
    if args.json:
        print_json(
            {
                "rpps": result.rpps,
                "status": result.status.value,
                "problems": [p.value for p in result.problems],
                "ok": result.ok,
                "message": result.message,
            }
        )
    else:
        print(result.message)
    return 0 if result.ok else 1
