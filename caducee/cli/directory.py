"""`caducee directory …`: export, push, rebuild, report, address, quota, listing flags."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from caducee.cli.output import print_json


def register(commands: Any) -> None:
    directory = commands.add_parser("directory", help="annuaire et publication MSSanté")
    sub = directory.add_subparsers(title="actions", metavar="ACTION", required=True)

    export = sub.add_parser("export", help="exporter la publication nationale d'une structure")
    export.add_argument("--structure", required=True, help="nom, identifiant ou domaine")
    export.add_argument("--format", choices=("fhir", "pipe"), default="fhir")
    export.add_argument("--output", default="-", help="fichier (défaut : sortie standard)")
    export.set_defaults(func=export_cmd)

    push = sub.add_parser(
        "push",
        help="envoyer les changements à l'annuaire national, tout de suite (sans file d'attente)",
    )
    push.add_argument("--structure", required=True)
    push.set_defaults(func=push_cmd)

    rebuild = sub.add_parser("rebuild", help="reconstruire la table de recherche de l'annuaire")
    rebuild.set_defaults(func=rebuild_cmd)

    report = sub.add_parser("report", help="rapport d'alimentation d'une structure")
    report.add_argument("--structure", required=True)
    report.add_argument("--json", action="store_true", help="sortie JSON")
    report.set_defaults(func=report_cmd)

    address = sub.add_parser("address", help="créer la correspondance MSSanté d'un compte")
    address.add_argument("--email", required=True, help="adresse mail du compte")
    address.add_argument("--particle", default=None, help="partie avant @ (vide : générée)")
    address.set_defaults(func=address_cmd)

    remove = sub.add_parser(
        "address-remove", help="retirer la correspondance MSSanté d'un compte (il perd l'accès)"
    )
    remove.add_argument("email", help="adresse mail du compte")
    remove.set_defaults(func=address_remove_cmd)
    for name, label, func in (
        ("red-list", "inscrire (on) ou retirer (off) un compte de la liste rouge", red_list_cmd),
        ("dematerialisation", "« zéro papier » d'un compte : on ou off", dematerialisation_cmd),
    ):
        flag = sub.add_parser(name, help=label)
        flag.add_argument("email", help="adresse mail du compte")
        flag.add_argument("state", metavar="on|off")
        flag.set_defaults(func=func)

    # Issue #18 point 3: the national directory of the other operators.
    national = sub.add_parser(
        "national-import",
        help="charger l'annuaire national MSSanté (boîtes des autres opérateurs)",
        description="Charge l'extraction publique de l'annuaire national MSSanté (fichier à 31 "
        "colonnes séparées par |, le format de « directory export --format pipe », ou l'archive "
        "ZIP qui le contient) à la place de la précédente, d'un seul coup.",
    )
    national.add_argument("file", metavar="FICHIER", help="le fichier .txt, ou l'archive .zip")
    national.add_argument("--json", action="store_true", help="résumé en JSON")
    national.set_defaults(func=national_import_cmd)

    quota = sub.add_parser("quota", help="fixer un quota (PER_INT, ORG ou APP)")
    quota.add_argument("--structure", required=True)
    quota.add_argument("--group", required=True, choices=("PER_INT", "ORG", "APP"))
    quota.add_argument("--limit", default="", help="nombre de comptes ; vide : illimité")
    quota.set_defaults(func=quota_cmd)


def export_cmd(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.directory.publication import export
    from caducee.structures.access import find_structure

    text = export(cli_context(), find_structure(args.structure), args.format)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"Export {args.format} écrit dans {args.output}.")
    return 0


def push_cmd(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.directory.push import push
    from caducee.structures.access import find_structure

    result = push(cli_context(), find_structure(args.structure))
    if result.status == 0:
        print("Rien à publier : l'annuaire national est à jour.")
    else:
        print(
            f"Publication envoyée (HTTP {result.status}) : {result.inserted} ajout(s), "
            f"{result.replaced} mise(s) à jour, {result.deleted} retrait(s)."
        )
    return 0


def national_import_cmd(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.directory.operations import import_national_directory

    summary = import_national_directory(cli_context(), args.file)
    if args.json:
        print_json(
            {
                "source": summary.source,
                "lines_read": summary.lines_read,
                "entries": summary.entries,
                "lines_skipped": summary.lines_skipped,
                "skipped": summary.skipped,
                "examples": list(summary.examples),
                "replaced": summary.replaced,
            }
        )
    else:
        print("\n".join(summary.lines()))
    return 0


def rebuild_cmd(args: argparse.Namespace) -> int:
    from caducee.directory.entries import rebuild_entries

    print(f"Annuaire reconstruit : {rebuild_entries()} entrée(s).")
    return 0


def report_cmd(args: argparse.Namespace) -> int:
    from caducee.directory import feed
    from caducee.directory.api import report_row
    from caducee.structures.access import find_structure

    rows = feed.report(find_structure(args.structure))
    totals = feed.counts(rows)
    if args.json:
        print_json({"counts": totals, "accounts": [report_row(r) for r in rows]})
        return 0
    print(
        f"{totals['accounts']} boîte(s) vérifiée(s) : {totals[feed.BLOCKING]} erreur(s) "
        f"bloquante(s), {totals[feed.NON_BLOCKING]} non bloquante(s) ; "
        f"{totals['published']} publiable(s)."
    )
    for row in rows:
        for f in row.findings:
            print(f"{row.account.email}\t{f.criticality}\t{f.code}\t{f.message}")
    return 0


def _account(email: str) -> Any:
    from caducee.accounts.models import Account
    from caducee.core.errors import NotFound

    account = Account.objects.select_related("structure").filter(email=email.strip().lower())
    found = account.first()
    if found is None:
        raise NotFound(f"Aucun compte {email}.")
    return found


def address_cmd(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.directory.operations import assign_mssante_address

    print(assign_mssante_address(cli_context(), _account(args.email), args.particle))
    return 0


def address_remove_cmd(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.directory.operations import remove_mssante_address

    account = _account(args.email)
    if not account.mssante_particle:
        print(f"{account.email} n'a pas de correspondance MSSanté.")
        return 0
    remove_mssante_address(cli_context(), account)
    print(f"Correspondance MSSanté de {account.email} retirée.")
    return 0


def on_off(state: str) -> bool:
    """An `on|off` argument; anything else is refused in French."""
    from caducee.core.errors import Invalid

    value = state.strip().lower()
    if value not in {"on", "off"}:
        raise Invalid(f"« {state} » : indiquez on ou off.")
    return value == "on"


def red_list_cmd(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.directory.operations import set_red_list

    on = on_off(args.state)
    account = _account(args.email)
    set_red_list(cli_context(), account, on)
    state = "inscrit sur" if on else "retiré de"
    print(f"{account.email} est {state} la liste rouge.")
    return 0


def dematerialisation_cmd(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.directory.operations import set_dematerialisation

    on = on_off(args.state)
    account = _account(args.email)
    set_dematerialisation(cli_context(), account, on)
    print(f"« Zéro papier » de {account.email} : {'oui' if on else 'non'}.")
    return 0


def quota_cmd(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.core.errors import Invalid
    from caducee.directory.operations import set_quota
    from caducee.structures.access import find_structure

    raw = args.limit.strip()
    if raw and not raw.isdigit():
        raise Invalid("--limit : indiquez un nombre entier, ou rien pour « Illimité ».")
    structure = find_structure(args.structure)
    set_quota(cli_context(), structure, args.group, int(raw) if raw else None)
    print(f"Quota {args.group} de {structure.name} : {raw or 'Illimité'}.")
    return 0
