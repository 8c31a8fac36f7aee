"""`caducee coordination record|liaison|document …`: records, liaison log, documents."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caducee.cli.coordination import common
from caducee.cli.output import print_json

if TYPE_CHECKING:
    from caducee.coordination.models import Record

# Option → field of the record form, in the console's order.
RECORD_OPTIONS = (
    ("last_name", "--last-name", "nom"),
    ("birth_name", "--birth-name", "nom de naissance"),
    ("first_name", "--first-name", "prénom"),
    ("birth_date", "--birth-date", "date de naissance (JJ/MM/AAAA)"),
    ("address", "--address", "adresse"),
    ("postal_code", "--postal-code", "code postal"),
    ("city", "--city", "ville"),
    ("phone", "--phone", "téléphone"),
    ("notes", "--notes", "observations"),
)
LIST_PAGE = 100


def register(sub: Any) -> None:
    record = sub.add_parser("record", help="gérer les dossiers usagers")
    actions = record.add_subparsers(title="actions", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="lister les dossiers d'une structure")
    listing.add_argument("--structure", required=True, help="nom, identifiant ou domaine")
    listing.add_argument(
        "--page", type=int, default=1, help=f"page de {LIST_PAGE} dossiers (1 par défaut)"
    )
    common.add_json(listing)
    listing.set_defaults(func=list_records)

    show = actions.add_parser("show", help="afficher un dossier")
    show.add_argument("--record", required=True, help="numéro du dossier")
    common.add_json(show)
    show.set_defaults(func=show_record)

    create = actions.add_parser("create", help="créer un dossier usager")
    create.add_argument("--structure", required=True, help="structure qui suit la personne")
    for _key, option, label in RECORD_OPTIONS:
        required = option in {"--last-name", "--first-name", "--birth-date"}
        create.add_argument(option, required=required, default="", help=label)
    create.add_argument(
        "--team",
        action="append",
        default=[],
        metavar="EMAIL",
        help="membre de l'équipe de suivi (option répétable)",
    )
    common.add_json(create)
    create.set_defaults(func=create_record)

    update = actions.add_parser(
        "update", help="modifier un dossier (les champs non donnés ne changent pas)"
    )
    update.add_argument("--record", required=True, help="numéro du dossier")
    for _key, option, label in RECORD_OPTIONS:
        update.add_argument(option, default=None, help=label)
    update.add_argument(
        "--team",
        action="append",
        default=None,
        metavar="EMAIL",
        help="membre de l'équipe de suivi (répétable ; remplace toute l'équipe)",
    )
    common.add_json(update)
    update.set_defaults(func=update_record)

    liaison = sub.add_parser("liaison", help="lire et écrire le cahier de liaison d'un dossier")
    liaison_actions = liaison.add_subparsers(title="actions", metavar="ACTION", required=True)
    entries = liaison_actions.add_parser("list", help="lister les entrées, la plus récente d'abord")
    entries.add_argument("--record", required=True, help="numéro du dossier")
    common.add_json(entries)
    entries.set_defaults(func=list_entries)
    add = liaison_actions.add_parser("add", help="ajouter une entrée")
    add.add_argument("--record", required=True, help="numéro du dossier")
    add.add_argument("--text", required=True, help="texte de l'entrée")
    add.add_argument("--date", default="", help="date de l'entrée (JJ/MM/AAAA ; aujourd'hui)")
    common.add_json(add)
    add.set_defaults(func=add_entry)

    document = sub.add_parser("document", help="documents d'un dossier")
    document_actions = document.add_subparsers(title="actions", metavar="ACTION", required=True)
    documents = document_actions.add_parser("list", help="lister les documents d'un dossier")
    documents.add_argument("--record", required=True, help="numéro du dossier")
    common.add_json(documents)
    documents.set_defaults(func=list_documents)
    attach = document_actions.add_parser("add", help="ajouter un fichier au dossier")
    attach.add_argument("--record", required=True, help="numéro du dossier")
    attach.add_argument("--file", required=True, help="chemin du fichier")
    attach.add_argument("--title", default="", help="titre (par défaut : le nom du fichier)")
    common.add_json(attach)
    attach.set_defaults(func=add_document)
    get = document_actions.add_parser("get", help="enregistrer un document dans un fichier")
    get.add_argument("--record", required=True, help="numéro du dossier")
    get.add_argument("--document", required=True, type=int, help="numéro du document")
    get.add_argument(
        "--output", required=True, help="fichier à écrire (« - » : la sortie standard)"
    )
    get.set_defaults(func=get_document)


def record_row(record: Record) -> dict[str, Any]:
    team = list(record.team.order_by("last_name", "first_name", "email"))
    return {
        "id": record.pk,
        "structure": record.structure.name,
        "last_name": record.last_name,
        "birth_name": record.birth_name,
        "first_name": record.first_name,
        "birth_date": record.birth_date.isoformat(),
        "address": record.address,
        "postal_code": record.postal_code,
        "city": record.city,
        "phone": record.phone,
        "notes": record.notes,
        "team": [u.email for u in team],
    }


def _print_record(record: Record, as_json: bool, verb: str = "") -> None:
    if as_json:
        print_json(record_row(record))
        return
    if verb:
        print(f"Dossier {record.pk} {verb} : {record.display_name}.")
        return
    row = record_row(record)
    labels = {key: label for key, _option, label in RECORD_OPTIONS}
    print(f"Dossier {record.pk} ({row['structure']})")
    for key, label in labels.items():
        if row[key]:
            print(f"  {label} : {row[key]}")
    if row["team"]:
        print(f"  équipe de suivi : {', '.join(row['team'])}")


def _team_ids(emails: list[str]) -> list[int]:
    """Team members by email; an unknown address is left to the operation to refuse."""
    from caducee.people.models import User

    ids = []
    for email in emails:
        user = User.objects.filter(email=email.strip().lower()).first()
        ids.append(user.pk if user is not None else -1)
    return ids


def list_records(args: argparse.Namespace) -> int:
    from caducee.coordination.models import Record
    from caducee.coordination.operations import read_record_list
    from caducee.core.context import cli_context
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    start = (max(args.page, 1) - 1) * LIST_PAGE
    records = list(
        Record.objects.filter(structure=structure)
        .select_related("structure")
        .order_by("last_name", "first_name", "pk")[start : start + LIST_PAGE]
    )
    read_record_list(cli_context(), records, f"cli:{args.page}")
    if args.json:
        print_json([record_row(r) for r in records])
        return 0
    if not records:
        print(f"Aucun dossier dans {structure.name} sur cette page.")
    for r in records:
        print(f"{r.pk}\t{r.last_name}\t{r.first_name}\t{r.birth_date:%d/%m/%Y}\t{r.city}")
    if len(records) == LIST_PAGE:
        print(f"Suite : --page {args.page + 1}", file=sys.stderr)
    return 0


def show_record(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import read_record
    from caducee.core.context import cli_context

    found = common.record(args.record)
    read_record(cli_context(), found, "cli")
    _print_record(found, args.json)
    return 0


def create_record(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import RecordInput
    from caducee.coordination.operations import create_record as create
    from caducee.core.context import cli_context
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    data = RecordInput(
        **{key: getattr(args, key) for key, _option, _label in RECORD_OPTIONS},
        team=_team_ids(args.team),
    )
    _print_record(create(cli_context(), structure, data), args.json, "créé")
    return 0


def update_record(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import RecordInput
    from caducee.coordination.operations import update_record as update
    from caducee.core.context import cli_context

    found = common.record(args.record)
    current: dict[str, str] = {
        key: str(getattr(found, key) or "") for key, _option, _label in RECORD_OPTIONS
    }
    current["birth_date"] = found.birth_date.strftime("%d/%m/%Y")
    given = {
        key: getattr(args, key)
        for key, _option, _label in RECORD_OPTIONS
        if getattr(args, key) is not None
    }
    team = (
        _team_ids(args.team)
        if args.team is not None
        else list(found.team.values_list("pk", flat=True))
    )
    data = RecordInput(**{**current, **given}, team=team)
    _print_record(update(cli_context(), found, data), args.json, "enregistré")
    return 0


def list_entries(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import liaison_entries, read_record
    from caducee.core.context import cli_context

    found = common.record(args.record)
    ctx = cli_context()
    read_record(ctx, found, "cli:liaison")
    entries = list(liaison_entries(ctx, found))
    if args.json:
        print_json(
            [
                {
                    "id": e.pk,
                    "occurred_on": e.occurred_on.isoformat(),
                    "author": e.author_label,
                    "text": e.text,
                }
                for e in entries
            ]
        )
        return 0
    if not entries:
        print("Le cahier de liaison est vide.")
    for e in entries:
        print(f"{e.occurred_on:%d/%m/%Y}\t{e.author_label}\t{e.text}")
    return 0


def add_entry(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import add_liaison_entry
    from caducee.core.context import cli_context

    found = common.record(args.record)
    entry = add_liaison_entry(cli_context(), found, args.text, args.date)
    if args.json:
        print_json({"id": entry.pk, "occurred_on": entry.occurred_on.isoformat()})
    else:
        print(f"Entrée {entry.pk} ajoutée au cahier de liaison du dossier {found.pk}.")
    return 0


def list_documents(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import read_record
    from caducee.core.context import cli_context

    found = common.record(args.record)
    read_record(cli_context(), found, "cli:documents")
    rows = [
        {
            "id": d.pk,
            "title": d.title,
            "file_name": d.original_name,
            "size": d.size,
            "sha256": d.sha256,
            "added_by": d.uploaded_by_label,
            "added_at": d.uploaded_at.isoformat(),
        }
        for d in found.documents.all()
    ]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("Aucun document.")
    for row in rows:
        print(f"{row['id']}\t{row['title']}\t{row['file_name']}\t{row['size']} octets")
    return 0


def add_document(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import attach_document
    from caducee.core.context import cli_context
    from caducee.core.errors import NotFound

    found = common.record(args.record)
    path = Path(args.file)
    if not path.is_file():
        raise NotFound(f"Fichier « {args.file} » introuvable.")
    with path.open("rb") as stream:
        document = attach_document(cli_context(), found, args.title, path.name, stream)
    if args.json:
        print_json({"id": document.pk, "size": document.size, "sha256": document.sha256})
    else:
        print(f"Document {document.pk} ajouté au dossier {found.pk} ({document.size} octets).")
    return 0


def get_document(args: argparse.Namespace) -> int:
    from caducee.coordination.models import RecordDocument
    from caducee.coordination.operations import open_document
    from caducee.core.context import cli_context
    from caducee.core.errors import NotFound

    found = common.record(args.record)
    document = RecordDocument.objects.filter(pk=args.document, record=found).first()
    if document is None:
        raise NotFound(f"Document {args.document} introuvable dans le dossier {found.pk}.")
    with open_document(cli_context(), document) as handle:
        if args.output == "-":
            shutil.copyfileobj(handle, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return 0
        with Path(args.output).open("wb") as out:
            shutil.copyfileobj(handle, out)
    print(f"Document {document.pk} enregistré dans {args.output} ({document.size} octets).")
    return 0
