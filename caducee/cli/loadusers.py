"""`caducee loadusers template|import|export`: the loaduser file from the command line.

Exit codes of `import`: 0 when the file was read (even if lines were rejected), 2 when the
file itself cannot be used (nothing changed), 1 for other errors (unknown structure…).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from caducee.cli.output import print_json


def register(commands: Any) -> None:
    loadusers = commands.add_parser(
        "loadusers", help="importer et exporter des comptes (fichier loaduser CSV, XLS, XLSX)"
    )
    sub = loadusers.add_subparsers(title="actions", metavar="ACTION", required=True)

    template = sub.add_parser("template", help="écrire le modèle loaduser vide")
    template.add_argument("--format", choices=("csv", "xlsx"), required=True)
    template.add_argument("--output", required=True, help="fichier à écrire")
    template.set_defaults(func=write_template)

    importing = sub.add_parser("import", help="importer un fichier loaduser")
    importing.add_argument("file", metavar="FICHIER", help="fichier CSV, XLS ou XLSX")
    importing.add_argument("--structure", required=True, help="nom ou identifiant")
    importing.add_argument(
        "--notify",
        action="store_true",
        help="envoyer le mail de finalisation aux nouveaux comptes MED, PER et INT",
    )
    importing.add_argument(
        "--visible", action="store_true", help="rendre visibles dans l'annuaire les comptes créés"
    )
    importing.add_argument(
        "--dry-run", action="store_true", help="tout vérifier sans rien enregistrer"
    )
    importing.add_argument("--json", action="store_true", help="sortie JSON")
    importing.set_defaults(func=import_file)

    export = sub.add_parser("export", help="exporter les comptes d'une structure")
    export.add_argument("--structure", required=True, help="nom ou identifiant")
    export.add_argument("--format", choices=("csv", "xlsx"), required=True)
    export.add_argument("--output", required=True, help="fichier à écrire")
    export.set_defaults(func=export_file)


def _cannot_write(path: str, exc: OSError) -> int:
    sys.stderr.write(f"Erreur : impossible d'écrire {path} ({exc.strerror or exc}).\n")
    return 1


def write_template(args: argparse.Namespace) -> int:
    from caducee.loadusers.template import template_bytes

    try:
        Path(args.output).write_bytes(template_bytes(args.format))
    except OSError as exc:
        return _cannot_write(args.output, exc)
    print(f"Modèle loaduser écrit dans {args.output}.", file=sys.stderr)
    return 0


def import_file(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.loadusers.importing import import_loadusers
    from caducee.loadusers.reading import FileRefused
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    announced: set[str] = set()

    def progress(phase: str, done: int, total: int) -> None:
        if phase not in announced:
            announced.add(phase)
            label = "Vérification des lignes" if phase == "validation" else "Écriture"
            print(f"{label}…", file=sys.stderr, flush=True)

    try:
        result = import_loadusers(
            cli_context(),
            structure,
            Path(args.file),
            notify=args.notify,
            visible=args.visible,
            dry_run=args.dry_run,
            progress=progress,
        )
    except FileRefused as exc:
        sys.stderr.write(f"Fichier refusé : {exc.message}\n")
        return 2
    if args.json:
        print_json(result.as_json())
        return 0
    print(
        f"{result.created} compte(s) créé(s), {result.updated} modifié(s), "
        f"{result.unchanged} inchangé(s), {result.rejected} ligne(s) rejetée(s)"
        + (" (simulation : rien n'a été enregistré)" if args.dry_run else "")
        + "."
    )
    _print_addresses_and_groups(result, dry_run=args.dry_run)
    for p in result.problems:
        level = "ERREUR" if p.is_error else "avertissement"
        where = f"ligne {p.line}, colonne « {p.column} »"
        print(f"{level} : {where}{' (' + p.email + ')' if p.email else ''} : {p.message}")
    if args.dry_run and (result.created or result.updated):
        print("Relancez sans --dry-run pour enregistrer ces changements.")
    return 0


def _print_addresses_and_groups(result: Any, *, dry_run: bool) -> None:
    """The generated addresses' count, then the problems by kind (above the line list)."""
    from caducee.loadusers.report import group_label, group_problems

    if result.addresses_generated:
        verb = "à générer" if dry_run else "générée(s)"
        print(f"{result.addresses_generated} adresse(s) MSSanté {verb}, par exemple :")
        for a in result.addresses_sample:
            print(f"  ligne {a['line']} ({a['email']}) : {a['address']}")
    groups = group_problems(p.as_dict() for p in result.problems)
    if groups:
        print("Problèmes par type :")
        for group in groups:
            lines = ", ".join(str(n) for n in group["lines"])
            more = "…" if group["count"] > len(group["lines"]) else ""
            print(f"  {group_label(group)} [colonne « {group['column']} », ligne(s) {lines}{more}]")
        print("Ligne par ligne :")


def export_file(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.loadusers.exporting import export_csv, export_xlsx
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    ctx = cli_context()
    try:
        out = open(args.output, "wb")  # noqa: SIM115 - closed below
    except OSError as exc:
        return _cannot_write(args.output, exc)
    with out:
        if args.format == "csv":
            for chunk in export_csv(ctx, structure):
                out.write(chunk)
        else:
            with export_xlsx(ctx, structure) as data:
                while block := data.read(1024 * 1024):
                    out.write(block)
    print(f"Comptes de {structure.name} exportés dans {args.output}.", file=sys.stderr)
    return 0
