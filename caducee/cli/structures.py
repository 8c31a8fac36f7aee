"""`caducee structure …` and `caducee admin …`."""

from __future__ import annotations

import argparse
from typing import Any

from caducee.cli.output import print_json
from caducee.structures.ownership import ADMIN_FIELDS, FIELDS, OPERATOR_FIELDS

# The fields of `structures.operations.StructureInput`, as `structure edit --set` takes them:
# the operator's, then the structure admins' (structures/ownership.py).
EDITABLE = FIELDS


def register(commands: Any) -> None:
    structure = commands.add_parser("structure", help="gérer les structures")
    sub = structure.add_subparsers(title="actions", metavar="ACTION", required=True)

    create = sub.add_parser("create", help="créer une structure")
    create.add_argument("--name", required=True, help="raison sociale")
    ident = create.add_mutually_exclusive_group(required=True)
    ident.add_argument("--finess", help="numéro FINESS juridique (EJ)")
    ident.add_argument("--finess-eg", help="numéro FINESS géographique (EG)")
    ident.add_argument("--siren")
    ident.add_argument("--siret")
    create.add_argument(
        "--domain",
        default="",
        help="domaine MSSanté propre (ex. ch-albi.mssante.fr) ou partagé (caducee domain list)",
    )
    create.add_argument("--department", default="", help="code ou nom du département")
    create.add_argument("--region", default="", help="code ou nom de la région")
    create.add_argument("--address", default="")
    create.add_argument("--postal-code", default="")
    create.add_argument("--city", default="")
    create.add_argument("--json", action="store_true", help="sortie JSON")
    create.set_defaults(func=create_structure)

    edit = sub.add_parser(
        "edit", help="modifier une structure (les champs non donnés gardent leur valeur)"
    )
    edit.add_argument("structure", help="nom, identifiant ou domaine")
    edit.add_argument(
        "--set",
        dest="values",
        action="append",
        default=[],
        metavar="CLÉ=VALEUR",
        help="champ à changer, répétable. Champs de l'opérateur : "
        + ", ".join(OPERATOR_FIELDS)
        + " ; champs que les administrateurs de la structure modifient aussi : "
        + ", ".join(ADMIN_FIELDS),
    )
    edit.add_argument("--json", action="store_true", help="sortie JSON")
    edit.set_defaults(func=edit_structure)

    listing = sub.add_parser("list", help="lister les structures")
    listing.add_argument("--json", action="store_true", help="sortie JSON")
    listing.set_defaults(func=list_structures)

    admin = commands.add_parser("admin", help="nommer les administrateurs de structure")
    admin_sub = admin.add_subparsers(title="actions", metavar="ACTION", required=True)
    admin_create = admin_sub.add_parser(
        "create", help="nommer un administrateur (affiche un lien pour choisir son mot de passe)"
    )
    admin_create.add_argument("--email", required=True)
    admin_create.add_argument("--structure", required=True, help="nom ou identifiant")
    admin_create.set_defaults(func=create_admin)
    admin_list = admin_sub.add_parser("list", help="lister les administrateurs d'une structure")
    admin_list.add_argument("--structure", required=True, help="nom ou identifiant")
    admin_list.add_argument("--json", action="store_true", help="sortie JSON")
    admin_list.set_defaults(func=list_admins)
    admin_remove = admin_sub.add_parser("remove", help="retirer un administrateur d'une structure")
    admin_remove.add_argument("--email", required=True)
    admin_remove.add_argument("--structure", required=True, help="nom ou identifiant")
    admin_remove.set_defaults(func=remove_admin)

    operator = commands.add_parser(
        "setup-link", help="afficher un lien de création du premier opérateur"
    )
    operator.set_defaults(func=setup_link)


def create_structure(args: argparse.Namespace) -> int:
    from caducee.api.serializers import structure_out
    from caducee.core.context import cli_context
    from caducee.structures.operations import StructureInput
    from caducee.structures.operations import create_structure as create

    if args.finess:
        id_type, number = "FINESS_EJ", args.finess
    elif args.finess_eg:
        id_type, number = "FINESS_EG", args.finess_eg
    elif args.siren:
        id_type, number = "SIREN", args.siren
    else:
        id_type, number = "SIRET", args.siret
    structure = create(
        cli_context(),
        StructureInput(
            name=args.name,
            id_type=id_type,
            id_number=number,
            domain=args.domain,
            department=args.department,
            region=args.region,
            address1=args.address,
            postal_code=args.postal_code,
            city=args.city,
        ),
    )
    if args.json:
        print_json(structure_out(structure))
    else:
        print(f"Structure créée : {structure.name} ({structure.identifier_label}).")
    return 0


def edit_structure(args: argparse.Namespace) -> int:
    from caducee.api.serializers import structure_out
    from caducee.core.context import cli_context
    from caducee.core.errors import Invalid
    from caducee.structures.access import find_structure
    from caducee.structures.operations import StructureInput, update_structure

    structure = find_structure(args.structure)
    current = {key: getattr(structure, key) or "" for key in EDITABLE}
    values = dict(current)
    for pair in args.values:
        key, sep, value = pair.partition("=")
        if not sep or key.strip() not in EDITABLE:
            raise Invalid(
                f"« {pair} » : écrivez CLÉ=VALEUR, où CLÉ est l'un de : {', '.join(EDITABLE)}."
            )
        values[key.strip()] = value
    data = StructureInput(**values)  # the region follows a changed department (operation)
    updated = update_structure(cli_context(), structure, data)
    if args.json:
        print_json(structure_out(updated))
    else:
        print(f"Structure enregistrée : {updated.name} ({updated.identifier_label}).")
    return 0


def list_structures(args: argparse.Namespace) -> int:
    from caducee.api.serializers import structure_out
    from caducee.structures.models import Structure

    structures = list(Structure.objects.order_by("name"))
    if args.json:
        print_json([structure_out(s) for s in structures])
        return 0
    if not structures:
        print("Aucune structure.")
    for s in structures:
        print(f"{s.pk}\t{s.name}\t{s.identifier_label}\t{s.domain or '-'}")
    return 0


def create_admin(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.identity.operations import issue_password_link
    from caducee.structures.access import find_structure
    from caducee.structures.operations import appoint_admin

    ctx = cli_context()
    structure = find_structure(args.structure)
    user, _ = appoint_admin(ctx, structure, args.email)
    print(f"{user.email} administre désormais {structure.name}.")
    if not user.has_usable_password():
        url = issue_password_link(ctx, user)
        print(f"Lien à usage unique pour choisir son mot de passe : {url}")
    return 0


def list_admins(args: argparse.Namespace) -> int:
    from caducee.api.serializers import admin_out
    from caducee.structures.access import find_structure
    from caducee.structures.models import StructureAdmin

    structure = find_structure(args.structure)
    roles = StructureAdmin.objects.filter(structure=structure).select_related("user")
    users = [role.user for role in roles.order_by("user__email")]
    if args.json:
        print_json([admin_out(user) for user in users])
        return 0
    if not users:
        print(f"« {structure.name} » n'a aucun administrateur.")
    for user in users:
        print(user.email)
    return 0


def remove_admin(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.core.errors import NotFound
    from caducee.structures.access import find_structure
    from caducee.structures.models import StructureAdmin
    from caducee.structures.operations import remove_admin as remove

    structure = find_structure(args.structure)
    email = args.email.strip().lower()
    role = StructureAdmin.objects.filter(structure=structure, user__email=email).first()
    if role is None:
        raise NotFound(f"{email} n'administre pas « {structure.name} ».")
    remove(cli_context(), structure, role.user)
    print(f"{email} n'administre plus « {structure.name} ».")
    return 0


def setup_link(args: argparse.Namespace) -> int:
    from django.urls import reverse

    from caducee.identity.links import base_url, issue_setup_link

    token = issue_setup_link()
    if token is None:
        print("Un opérateur existe déjà : connectez-vous avec son compte.")
        return 0
    print(
        f"Créez le premier opérateur (lien à usage unique, depuis cette machine) : "
        f"{base_url()}{reverse('identity:setup', args=[token])}"
    )
    return 0
