"""`caducee coordination profiles|profile|member|external …`: rights profiles, memberships
(« Droits d'accès ») and external accounts."""

from __future__ import annotations

import argparse
from typing import Any

from caducee.cli.coordination import common
from caducee.cli.output import print_json
from caducee.coordination.permissions import PERMISSIONS

CODES = ", ".join(PERMISSIONS)


def register(sub: Any) -> None:
    profiles = sub.add_parser("profiles", help="lister les profils de droits d'une structure")
    profiles.add_argument("--structure", required=True, help="nom, identifiant ou domaine")
    profiles.add_argument("--json", action="store_true", help="sortie JSON")
    profiles.set_defaults(func=list_profiles)

    profile = sub.add_parser("profile", help="créer, modifier, supprimer un profil de droits")
    profile_sub = profile.add_subparsers(title="actions", metavar="ACTION", required=True)
    create_profile = profile_sub.add_parser("create", help="créer un profil de droits")
    create_profile.add_argument("--structure", required=True, help="nom, identifiant ou domaine")
    create_profile.add_argument("--name", required=True, help="nom du profil")
    create_profile.add_argument("--kind", default="interne", help="interne (par défaut) ou externe")
    create_profile.add_argument(
        "--permissions", default="", help=f"droits, séparés par des virgules : {CODES}"
    )
    create_profile.set_defaults(func=create_profile_command)
    update_profile = profile_sub.add_parser(
        "update", help="modifier le nom ou les droits d'un profil"
    )
    update_profile.add_argument("--structure", required=True, help="nom, identifiant ou domaine")
    update_profile.add_argument("--profile", required=True, help="numéro ou nom du profil")
    update_profile.add_argument("--name", default=None, help="nouveau nom")
    update_profile.add_argument(
        "--permissions",
        default=None,
        help="nouveaux droits, séparés par des virgules (remplacent les anciens)",
    )
    update_profile.set_defaults(func=update_profile_command)
    delete_profile = profile_sub.add_parser(
        "delete", help="supprimer un profil attribué à personne"
    )
    delete_profile.add_argument("--structure", required=True, help="nom, identifiant ou domaine")
    delete_profile.add_argument("--profile", required=True, help="numéro ou nom du profil")
    delete_profile.set_defaults(func=delete_profile_command)

    member = sub.add_parser("member", help="droits d'accès : le profil de chaque personne")
    member_sub = member.add_subparsers(title="actions", metavar="ACTION", required=True)
    members = member_sub.add_parser("list", help="qui a quel profil dans la structure")
    members.add_argument("--structure", required=True, help="nom, identifiant ou domaine")
    members.add_argument("--json", action="store_true", help="sortie JSON")
    members.set_defaults(func=list_members)
    give = member_sub.add_parser(
        "set", help="attribuer un profil interne à une personne de la structure"
    )
    give.add_argument("--structure", required=True, help="nom, identifiant ou domaine")
    give.add_argument("--email", required=True, help="adresse mail de la personne")
    give.add_argument("--profile", required=True, help="numéro ou nom du profil interne")
    give.set_defaults(func=set_member)
    remove = member_sub.add_parser("remove", help="retirer son profil à une personne")
    remove.add_argument("--structure", required=True, help="nom, identifiant ou domaine")
    remove.add_argument("--email", required=True, help="adresse mail de la personne")
    remove.set_defaults(func=remove_member)

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

    resend = external_sub.add_parser(
        "resend", help="renvoyer le lien d'activation (l'ancien ne sert plus)"
    )
    resend.add_argument("--identifier", required=True, help="identifiant du compte externe")
    resend.set_defaults(func=resend_external)

    modify = external_sub.add_parser(
        "modify", help="modifier un compte externe (les options non données ne changent pas)"
    )
    modify.add_argument("--identifier", required=True, help="identifiant du compte externe")
    modify.add_argument("--first-name", default=None, help="prénom")
    modify.add_argument("--last-name", default=None, help="nom")
    modify.add_argument("--profile", default=None, help="profil de droits externe")
    modify.add_argument(
        "--home", default=None, help="structure de rattachement (« Utilisateur externe »…)"
    )
    state = modify.add_mutually_exclusive_group()
    state.add_argument("--deactivate", action="store_true", help="désactiver le compte")
    state.add_argument("--reactivate", action="store_true", help="réactiver le compte")
    modify.set_defaults(func=modify_external)


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


def _codes(text: str) -> list[str]:
    return [code.strip() for code in text.split(",") if code.strip()]


def create_profile_command(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import create_profile
    from caducee.core.context import cli_context
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    made = create_profile(cli_context(), structure, args.name, args.kind, _codes(args.permissions))
    print(f"Profil {made.pk} « {made.name} » créé dans {structure.name}.")
    return 0


def update_profile_command(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import find_profile, update_profile
    from caducee.core.context import cli_context
    from caducee.structures.access import find_structure

    found = find_profile(find_structure(args.structure), args.profile)
    name = args.name if args.name is not None else found.name
    codes = _codes(args.permissions) if args.permissions is not None else found.permissions
    made = update_profile(cli_context(), found, name, codes)
    print(f"Profil {made.pk} « {made.name} » enregistré.")
    return 0


def delete_profile_command(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import delete_profile, find_profile
    from caducee.core.context import cli_context
    from caducee.structures.access import find_structure

    found = find_profile(find_structure(args.structure), args.profile)
    delete_profile(cli_context(), found)
    print(f"Profil « {found.name} » supprimé.")
    return 0


def list_members(args: argparse.Namespace) -> int:
    from caducee.coordination.models import Membership
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    rows = [
        {"email": m.user.email, "profile": m.profile.name}
        for m in Membership.objects.filter(structure=structure)
        .select_related("user", "profile")
        .order_by("user__last_name", "user__email")
    ]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print(f"Personne n'a de profil dans {structure.name}.")
    for row in rows:
        print(f"{row['email']}\t{row['profile']}")
    return 0


def set_member(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import find_profile, set_membership
    from caducee.coordination.permissions import ProfileKind
    from caducee.core.context import cli_context
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    chosen = find_profile(structure, args.profile, ProfileKind.INTERNAL)
    set_membership(cli_context(), structure, args.email, chosen)
    print(f"Profil « {chosen.name} » attribué à {args.email.strip().lower()}.")
    return 0


def remove_member(args: argparse.Namespace) -> int:
    from caducee.coordination.models import Membership
    from caducee.coordination.operations import remove_membership
    from caducee.core.context import cli_context
    from caducee.core.errors import NotFound
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    email = args.email.strip().lower()
    membership = (
        Membership.objects.select_related("structure", "user", "profile")
        .filter(structure=structure, user__email=email)
        .first()
    )
    if membership is None:
        raise NotFound(f"{email} n'a pas de profil dans {structure.name}.")
    remove_membership(cli_context(), membership)
    print(f"{email} n'a plus de profil dans {structure.name}.")
    return 0


def resend_external(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import resend_activation
    from caducee.core.context import cli_context

    external = common.external(args.identifier)
    resend_activation(cli_context(), external)
    print(f"Nouveau lien d'activation envoyé à {external.user.email}.")
    return 0


def modify_external(args: argparse.Namespace) -> int:
    from caducee.coordination.models import ExternalStatus
    from caducee.coordination.operations import (
        ExternalChanges,
        find_profile,
        modify_external_account,
    )
    from caducee.coordination.permissions import ProfileKind
    from caducee.core.context import cli_context
    from caducee.structures.access import find_structure

    external = common.external(args.identifier)
    person = external.user
    suspended = external.status == ExternalStatus.SUSPENDED
    changes = ExternalChanges(
        first_name=args.first_name if args.first_name is not None else person.first_name,
        last_name=args.last_name if args.last_name is not None else person.last_name,
        profile=find_profile(external.owner_structure, args.profile, ProfileKind.EXTERNAL)
        if args.profile is not None
        else external.profile,
        home_structure=find_structure(args.home)
        if args.home is not None
        else external.home_structure,
        suspended=True if args.deactivate else False if args.reactivate else suspended,
    )
    modify_external_account(cli_context(), external, changes)
    print(f"Compte externe « {external.identifier} » enregistré.")
    return 0
