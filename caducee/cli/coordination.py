"""`caducee coordination …`: rights profiles, directory contacts and external accounts."""

from __future__ import annotations

import argparse
from typing import Any

from caducee.cli.output import print_json


def register(commands: Any) -> None:
    coordination = commands.add_parser(
        "coordination", help="coordination : profils de droits, contacts, comptes externes"
    )
    sub = coordination.add_subparsers(title="actions", metavar="ACTION", required=True)

    profiles = sub.add_parser("profiles", help="lister les profils de droits d'une structure")
    profiles.add_argument("--structure", required=True, help="nom, identifiant ou domaine")
    profiles.add_argument("--json", action="store_true", help="sortie JSON")
    profiles.set_defaults(func=list_profiles)

    contact = sub.add_parser("contact", help="gérer l'annuaire des contacts")
    contact_sub = contact.add_subparsers(title="actions", metavar="ACTION", required=True)
    contact_create = contact_sub.add_parser("create", help="ajouter un contact à l'annuaire")
    contact_create.add_argument("--structure", required=True)
    contact_create.add_argument("--last-name", required=True, help="nom")
    contact_create.add_argument("--first-name", default="", help="prénom")
    contact_create.add_argument("--profession", default="")
    contact_create.add_argument("--organisation", default="")
    contact_create.add_argument("--phone", default="", help="téléphone")
    contact_create.add_argument("--email", default="", help="adresse mail")
    contact_create.add_argument("--json", action="store_true", help="sortie JSON")
    contact_create.set_defaults(func=create_contact)

    external = sub.add_parser("external", help="gérer les comptes externes")
    external_sub = external.add_subparsers(title="actions", metavar="ACTION", required=True)
    create = external_sub.add_parser(
        "create",
        help="créer un compte externe actif (création manuelle) et afficher une seule fois "
        "son mot de passe",
    )
    create.add_argument("--structure", required=True, help="structure du contact")
    create.add_argument("--contact", required=True, help="numéro ou adresse mail du contact")
    create.add_argument("--identifier", default="", help="identifiant (généré si absent)")
    create.add_argument(
        "--profile",
        default="Partenaire externe lecture seule",
        help="profil de droits externe (par défaut : Partenaire externe lecture seule)",
    )
    create.add_argument(
        "--home",
        default="",
        help="structure de rattachement (par défaut « Utilisateur externe » ; une autre "
        "structure lui ouvre ses données)",
    )
    create.add_argument("--json", action="store_true", help="sortie JSON")
    create.set_defaults(func=create_external)

    listing = external_sub.add_parser("list", help="lister les comptes externes")
    listing.add_argument("--structure", default="", help="structure qui les a créés")
    listing.add_argument("--json", action="store_true", help="sortie JSON")
    listing.set_defaults(func=list_externals)

    suspend = external_sub.add_parser(
        "suspend",
        help="suspendre (ou rétablir avec --restore) l'accès d'un compte externe à tous les "
        "dossiers d'une structure",
    )
    suspend.add_argument(
        "--structure", required=True, help="structure dont les dossiers se ferment"
    )
    suspend.add_argument("--identifier", required=True, help="identifiant du compte externe")
    suspend.add_argument("--restore", action="store_true", help="rétablir l'accès")
    suspend.set_defaults(func=suspend_external)


def list_profiles(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import ensure_default_profiles
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    profiles = ensure_default_profiles(structure)
    rows = [
        {"id": p.pk, "name": p.name, "kind": p.kind, "permissions": list(p.permission_set)}
        for p in profiles
    ]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print(f"{structure.name} n'a pas de profils de droits.")
    for p in profiles:
        perms = ", ".join(code for code in p.permissions)
        print(f"{p.pk}\t{p.name}\t{p.get_kind_display()}\t{perms}")
    return 0


def create_contact(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import ContactInput
    from caducee.coordination.operations import create_contact as create
    from caducee.core.context import cli_context
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    contact = create(
        cli_context(),
        structure,
        ContactInput(
            last_name=args.last_name,
            first_name=args.first_name,
            profession=args.profession,
            organisation=args.organisation,
            phone=args.phone,
            email=args.email,
        ),
    )
    if args.json:
        print_json({"id": contact.pk, "name": contact.display_name, "email": contact.email})
    else:
        print(
            f"Contact {contact.pk} créé : {contact.display_name} ({contact.email or 'sans mail'})."
        )
    return 0


def create_external(args: argparse.Namespace) -> int:
    from caducee.coordination.models import Contact
    from caducee.coordination.operations import (
        create_external_account_manual,
        find_profile,
        suggest_identifier,
    )
    from caducee.coordination.permissions import ProfileKind
    from caducee.core.context import cli_context
    from caducee.core.errors import NotFound
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    reference = args.contact.strip()
    contacts = Contact.objects.filter(structure=structure)
    contact = (
        contacts.filter(pk=int(reference)).first()
        if reference.isdigit()
        else contacts.filter(email=reference.lower()).first()
    )
    if contact is None:
        raise NotFound(f"Contact « {reference} » introuvable dans l'annuaire de {structure.name}.")
    profile = find_profile(structure, args.profile, ProfileKind.EXTERNAL)
    home = find_structure(args.home) if args.home else None
    identifier = args.identifier or suggest_identifier(contact.first_name, contact.last_name)
    credentials = create_external_account_manual(cli_context(), contact, identifier, profile, home)
    external = credentials.external
    if args.json:
        print_json(
            {
                "identifier": external.identifier,
                "email": external.user.email,
                "password": credentials.password,
                "login_url": credentials.login_url,
                "home_structure": external.home_structure.name,
                "profile": external.profile.name,
            }
        )
        return 0
    print(f"Compte externe créé et actif pour {contact.display_name} ({external.user.email}).")
    print(f"Adresse de connexion : {credentials.login_url}")
    print(f"Identifiant : {external.identifier}")
    print(f"Mot de passe (affiché une seule fois) : {credentials.password}")
    if not external.home_structure.is_external:
        print(
            f"Attention : rattaché à {external.home_structure.name}, ce compte a accès aux "
            "données de cette structure."
        )
    return 0


def list_externals(args: argparse.Namespace) -> int:
    from caducee.coordination.models import ExternalAccount
    from caducee.structures.access import find_structure

    accounts = ExternalAccount.objects.select_related(
        "user", "home_structure", "owner_structure", "profile"
    )
    if args.structure:
        accounts = accounts.filter(owner_structure=find_structure(args.structure))
    rows = [
        {
            "identifier": a.identifier,
            "email": a.user.email,
            "name": f"{a.user.last_name} {a.user.first_name}".strip(),
            "status": a.status,
            "home_structure": a.home_structure.name,
            "owner_structure": a.owner_structure.name,
            "profile": a.profile.name,
        }
        for a in accounts
    ]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("Aucun compte externe.")
    for row in rows:
        print(
            f"{row['identifier']}\t{row['email']}\t{row['status']}\t{row['home_structure']}\t"
            f"{row['profile']}"
        )
    return 0


def suspend_external(args: argparse.Namespace) -> int:
    from caducee.coordination.models import ExternalAccount
    from caducee.coordination.operations import set_structure_suspension
    from caducee.core.context import cli_context
    from caducee.core.errors import NotFound
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    external = ExternalAccount.objects.filter(identifier=args.identifier.strip().lower()).first()
    if external is None:
        raise NotFound(f"Compte externe « {args.identifier} » introuvable.")
    set_structure_suspension(cli_context(), structure, external, not args.restore)
    if args.restore:
        print(f"Accès de « {external.identifier} » aux dossiers de {structure.name} rétabli.")
    else:
        print(f"Accès de « {external.identifier} » aux dossiers de {structure.name} suspendu.")
    return 0
