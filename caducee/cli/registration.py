"""`caducee registration …`: the service centre's queue of self-registrations (issue #16).

`registration list [--state a_valider] [--json]`, `registration validate ID [--structure S |
--new-structure] [--domain D] [--particle P]`, `registration reject ID --reason TEXT`,
`registration correction ID --message TEXT`, and the members of the service centre:
`registration centre add|remove EMAIL`, `registration centre list`.
"""

from __future__ import annotations

import argparse
from typing import Any

from caducee.cli.output import print_json


def register(commands: Any) -> None:
    reg = commands.add_parser("registration", help="demandes d'inscription (centre de services)")
    sub = reg.add_subparsers(title="actions", metavar="ACTION", required=True)

    listing = sub.add_parser("list", help="lister les demandes, les plus anciennes d'abord")
    listing.add_argument("--state", default="", help="a_valider, a_corriger, valide ou rejete")
    listing.add_argument("--kind", default="", help="ORG ou PER")
    listing.add_argument("--region", default="", help="code INSEE de la région")
    listing.add_argument("--json", action="store_true", help="sortie JSON (avec la saisie)")
    listing.set_defaults(func=list_requests)

    validate = sub.add_parser("validate", help="valider une demande")
    validate.add_argument("id", type=int, metavar="ID")
    where = validate.add_mutually_exclusive_group()
    where.add_argument("--structure", metavar="S", help="rattacher à cette structure (nom, n°)")
    where.add_argument(
        "--new-structure", action="store_true", help="créer la structure saisie dans la demande"
    )
    validate.add_argument("--domain", default="", metavar="D", help="domaine partagé")
    validate.add_argument("--particle", default="", metavar="P", help="adresse MSSanté avant @")
    validate.add_argument("--json", action="store_true", help="sortie JSON")
    validate.set_defaults(func=validate_request)

    reject = sub.add_parser("reject", help="rejeter une demande (motif envoyé au demandeur)")
    reject.add_argument("id", type=int, metavar="ID")
    reject.add_argument("--reason", required=True, metavar="TEXT", help="motif du rejet")
    reject.set_defaults(func=reject_request)

    correction = sub.add_parser("correction", help="demander une correction au demandeur")
    correction.add_argument("id", type=int, metavar="ID")
    correction.add_argument("--message", required=True, metavar="TEXT", help="à corriger")
    correction.set_defaults(func=ask_correction)

    centre = sub.add_parser("centre", help="membres du centre de services")
    centre_sub = centre.add_subparsers(title="actions", metavar="ACTION", required=True)
    for name, text in (("add", "ajouter"), ("remove", "retirer")):
        action = centre_sub.add_parser(name, help=f"{text} une personne du centre de services")
        action.add_argument("email", metavar="EMAIL")
        action.set_defaults(func=centre_member, action=name)
    members = centre_sub.add_parser("list", help="lister les membres du centre de services")
    members.set_defaults(func=centre_list)


def list_requests(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.registration.api import registration_out
    from caducee.registration.operations import list_registrations

    rows = list_registrations(cli_context(), state=args.state, kind=args.kind, region=args.region)
    if args.json:
        print_json([registration_out(r) for r in rows])
        return 0
    if not rows:
        print("Aucune demande.")
    for r in rows:
        late = "\ten retard" if r.overdue else ""
        print(
            f"{r.pk}\t{r.kind}\t{r.state}\t{r.submitted_at:%d/%m/%Y %H:%M}\t{r.account.email}\t"
            f"{r.account.structure.name}\t{r.region}\t{r.requester_email}{late}"
        )
    return 0


def validate_request(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.directory.addresses import mssante_address
    from caducee.registration.api import registration_out
    from caducee.registration.operations import validate_registration
    from caducee.structures.access import find_structure

    structure_id = find_structure(args.structure).pk if args.structure else None
    done = validate_registration(
        cli_context(),
        args.id,
        structure_id=structure_id,
        new_structure=args.new_structure,
        domain=args.domain,
        particle=args.particle,
    )
    if args.json:
        print_json(registration_out(done))
    else:
        address = mssante_address(done.account) or "sans adresse MSSanté"
        print(
            f"Demande {done.pk} validée : {done.account.email} ({address}), structure "
            f"{done.account.structure.name}. Le demandeur est prévenu par mail."
        )
    return 0


def reject_request(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.registration.operations import reject_registration

    done = reject_registration(cli_context(), args.id, args.reason)
    print(f"Demande {done.pk} rejetée ; le motif est envoyé à {done.requester_email}.")
    return 0


def ask_correction(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.registration.operations import ask_correction as ask

    done = ask(cli_context(), args.id, args.message)
    print(f"Correction demandée : {done.requester_email} a reçu un lien pour modifier sa demande.")
    return 0


def centre_member(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.registration.operations import add_centre_member, remove_centre_member

    if args.action == "add":
        user = add_centre_member(cli_context(), args.email)
        print(f"{user.email} est membre du centre de services.")
    else:
        remove_centre_member(cli_context(), args.email)
        print(f"{args.email.strip().lower()} n'est plus membre du centre de services.")
    return 0


def centre_list(args: argparse.Namespace) -> int:
    from caducee.registration.rules import centre_members

    found = centre_members()
    if not found:
        print("Aucun membre du centre de services (l'opérateur traite les demandes).")
    for user in found:
        print(user.email)
    return 0
