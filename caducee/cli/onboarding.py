"""`caducee onboarding …`: the service centre's « Demandes de raccordement » (issue #16,
point 6), as in the console's queue.

`onboarding list [--state S] [--older-than H] [--json]`, `onboarding show ID [--json]`,
`onboarding take ID`, `onboarding answer ID --accept|--refuse --message TEXT` and
`onboarding create-structure ID [--domain D]`.
"""

from __future__ import annotations

import argparse
from typing import Any

from caducee.cli.output import print_json


def register(commands: Any) -> None:
    from caducee.onboarding.states import STATE_FILTERS

    onboarding = commands.add_parser(
        "onboarding", help="traiter les demandes de raccordement des structures"
    )
    sub = onboarding.add_subparsers(title="actions", metavar="ACTION", required=True)

    listing = sub.add_parser(
        "list", help="lister les demandes, des plus anciennes aux plus récentes"
    )
    listing.add_argument(
        "--state",
        choices=list(STATE_FILTERS),
        default="",
        help="ouvertes (nouvelles et en cours), nouvelle, en_cours, acceptee ou refusee",
    )
    listing.add_argument(
        "--older-than", type=int, metavar="HEURES", help="reçues depuis plus de HEURES heures"
    )
    listing.add_argument("--json", action="store_true", help="sortie JSON")
    listing.set_defaults(func=list_requests)

    show = sub.add_parser("show", help="afficher tout ce que le demandeur a saisi")
    show.add_argument("id", type=int, metavar="ID")
    show.add_argument("--json", action="store_true", help="sortie JSON")
    show.set_defaults(func=show_request)

    take = sub.add_parser("take", help="prendre une demande en charge (elle passe « en cours »)")
    take.add_argument("id", type=int, metavar="ID")
    take.set_defaults(func=take_request)

    answer = sub.add_parser("answer", help="répondre par mail : accepter ou refuser la demande")
    answer.add_argument("id", type=int, metavar="ID")
    decision = answer.add_mutually_exclusive_group(required=True)
    decision.add_argument("--accept", action="store_true", help="accepter la demande")
    decision.add_argument("--refuse", action="store_true", help="refuser la demande")
    answer.add_argument(
        "--message",
        required=True,
        metavar="TEXTE",
        help="envoyé au demandeur : les prochaines étapes, ou le motif du refus",
    )
    answer.set_defaults(func=answer_request)

    create = sub.add_parser("create-structure", help="créer la structure depuis la demande")
    create.add_argument("id", type=int, metavar="ID")
    create.add_argument("--domain", default="", help="domaine MSSanté (propre ou partagé)")
    create.set_defaults(func=create_structure)


def list_requests(args: argparse.Namespace) -> int:
    from django.utils.timezone import localtime

    from caducee.core.context import cli_context
    from caducee.onboarding.api import request_out
    from caducee.onboarding.operations import list_connection_requests

    rows = list(
        list_connection_requests(cli_context(), state=args.state, older_than_hours=args.older_than)
    )
    if args.json:
        print_json([request_out(row) for row in rows])
        return 0
    if not rows:
        print("Aucune demande de raccordement.")
    for row in rows:
        data = request_out(row)
        late = "\ten retard" if data["overdue"] else ""
        print(
            f"{row.pk}\t{localtime(row.created_at):%d/%m/%Y %H:%M}\t{row.get_state_display()}\t"
            f"{row.structure_name}\t{row.identifier_label}\t{row.email}{late}"
        )
    return 0


def show_request(args: argparse.Namespace) -> int:
    from django.utils.timezone import localtime

    from caducee.core.context import cli_context
    from caducee.onboarding.access import access_request
    from caducee.onboarding.api import request_out
    from caducee.onboarding.operations import LABELS
    from caducee.onboarding.queue import existing_structures

    row = access_request(cli_context(), args.id)
    data = request_out(row)
    data["existing_structures"] = [s.name for s in existing_structures(row)]
    if args.json:
        print_json(data)
        return 0
    print(
        f"Demande n° {row.pk} — {row.get_state_display()}, "
        f"reçue le {localtime(row.created_at):%d/%m/%Y %H:%M}"
    )
    for key, label in LABELS.items():
        print(f"{label} : {data[key]}")
    if data["existing_structures"]:
        print("Déjà sur la plateforme : " + ", ".join(data["existing_structures"]))
    if row.answered_at:
        print(f"Réponse du {localtime(row.answered_at):%d/%m/%Y} : {row.answer}")
    return 0


def take_request(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.onboarding.access import access_request
    from caducee.onboarding.operations import take_connection_request

    ctx = cli_context()
    row = take_connection_request(ctx, access_request(ctx, args.id))
    print(f"Demande n° {row.pk} prise en charge : {row.get_state_display()}.")
    return 0


def answer_request(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.onboarding.access import access_request
    from caducee.onboarding.operations import answer_connection_request

    ctx = cli_context()
    row = answer_connection_request(
        ctx, access_request(ctx, args.id), accept=args.accept, message=args.message
    )
    print(f"Demande n° {row.pk} {row.get_state_display().lower()} : réponse envoyée à {row.email}.")
    return 0


def create_structure(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.onboarding.access import access_request
    from caducee.onboarding.operations import create_structure_from_request

    ctx = cli_context()
    structure = create_structure_from_request(ctx, access_request(ctx, args.id), domain=args.domain)
    print(f"Structure créée : {structure.name} ({structure.identifier_label}).")
    return 0
