"""`caducee coordination contact|partner …`: the contacts directory, a record's partners."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from caducee.cli.coordination import common
from caducee.cli.output import print_json

if TYPE_CHECKING:
    from caducee.coordination.models import Contact, Partner

CONTACT_OPTIONS = (
    ("last_name", "--last-name", "nom"),
    ("first_name", "--first-name", "prénom"),
    ("profession", "--profession", "profession"),
    ("organisation", "--organisation", "organisation"),
    ("phone", "--phone", "téléphone"),
    ("email", "--email", "adresse mail"),
)
CONTACT_TYPES = (
    "medecin_traitant, medecin_specialiste, pharmacien, infirmier, kinesitherapeute, "
    "travailleur_social, aide_domicile, aidant, autre"
)


def register(sub: Any) -> None:
    contact = sub.add_parser("contact", help="gérer l'annuaire des contacts")
    actions = contact.add_subparsers(title="actions", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="ajouter un contact à l'annuaire")
    create.add_argument("--structure", required=True, help="nom, identifiant ou domaine")
    for _key, option, label in CONTACT_OPTIONS:
        create.add_argument(option, required=option == "--last-name", default="", help=label)
    common.add_json(create)
    create.set_defaults(func=create_contact)

    update = actions.add_parser(
        "update", help="modifier un contact (les champs non donnés ne changent pas)"
    )
    update.add_argument("--structure", required=True, help="structure du contact")
    update.add_argument("--contact", required=True, help="numéro ou adresse mail du contact")
    for _key, option, label in CONTACT_OPTIONS:
        update.add_argument(option, default=None, help=label)
    common.add_json(update)
    update.set_defaults(func=update_contact)

    listing = actions.add_parser("list", help="lister (ou chercher) les contacts")
    listing.add_argument("--structure", required=True, help="nom, identifiant ou domaine")
    listing.add_argument(
        "--search", default="", help="premières lettres du nom, du prénom, de l'organisation"
    )
    common.add_json(listing)
    listing.set_defaults(func=list_contacts)

    imported = actions.add_parser(
        "import", help="importer une fiche de l'annuaire régional dans les contacts"
    )
    imported.add_argument("--structure", required=True, help="structure qui importe")
    imported.add_argument(
        "--account", required=True, help="numéro ou adresse mail de la fiche de l'annuaire"
    )
    common.add_json(imported)
    imported.set_defaults(func=import_contact)

    partner = sub.add_parser("partner", help="gérer les partenaires d'un dossier")
    partner_actions = partner.add_subparsers(title="actions", metavar="ACTION", required=True)
    partners = partner_actions.add_parser("list", help="lister les partenaires d'un dossier")
    partners.add_argument("--record", required=True, help="numéro du dossier")
    common.add_json(partners)
    partners.set_defaults(func=list_partners)

    attach = partner_actions.add_parser("attach", help="rattacher un contact au dossier")
    attach.add_argument("--record", required=True, help="numéro du dossier")
    attach.add_argument("--contact", required=True, help="numéro ou adresse mail du contact")
    attach.add_argument("--type", required=True, help=f"type de contact : {CONTACT_TYPES}")
    attach.set_defaults(func=attach_partner)

    detach = partner_actions.add_parser(
        "detach", help="détacher un partenaire (il n'a plus accès au dossier)"
    )
    detach.add_argument("--record", required=True, help="numéro du dossier")
    detach.add_argument("--contact", required=True, help="numéro ou adresse mail du contact")
    detach.set_defaults(func=detach_partner)

    access = partner_actions.add_parser(
        "access", help="fermer (ou rouvrir avec --open) le dossier à un partenaire"
    )
    access.add_argument("--record", required=True, help="numéro du dossier")
    access.add_argument("--contact", required=True, help="numéro ou adresse mail du contact")
    access.add_argument("--open", action="store_true", help="rouvrir l'accès au dossier")
    access.set_defaults(func=partner_access)

    account = partner_actions.add_parser(
        "account",
        help="créer un compte externe pour un partenaire (lien d'activation par mail, ou "
        "invitation si l'adresse a déjà un compte)",
    )
    account.add_argument("--record", required=True, help="numéro du dossier")
    account.add_argument("--contact", required=True, help="numéro ou adresse mail du contact")
    account.add_argument("--identifier", default="", help="identifiant (proposé si absent)")
    account.add_argument(
        "--profile",
        default="Partenaire externe lecture seule",
        help="profil de droits externe (par défaut : Partenaire externe lecture seule)",
    )
    account.set_defaults(func=partner_account)


def contact_row(contact: Contact) -> dict[str, Any]:
    shared = contact.shared_external
    return {
        "id": contact.pk,
        "name": contact.display_name,
        **{key: getattr(contact, key) for key, _option, _label in CONTACT_OPTIONS},
        "directory_account_id": contact.directory_account_id,
        "external_account": shared.identifier if shared is not None else "",
    }


def _print_contact(contact: Contact, as_json: bool, verb: str) -> None:
    if as_json:
        print_json(contact_row(contact))
    else:
        address = contact.email or "sans mail"
        print(f"Contact {contact.pk} {verb} : {contact.display_name} ({address}).")


def _contact_input(values: dict[str, str]) -> Any:
    from caducee.coordination.operations import ContactInput

    return ContactInput(**values)


def create_contact(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import create_contact as create
    from caducee.core.context import cli_context
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    values = {key: getattr(args, key) for key, _option, _label in CONTACT_OPTIONS}
    _print_contact(create(cli_context(), structure, _contact_input(values)), args.json, "créé")
    return 0


def update_contact(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import update_contact as update
    from caducee.core.context import cli_context
    from caducee.structures.access import find_structure

    found = common.contact(find_structure(args.structure), args.contact)
    values = {
        key: getattr(args, key) if getattr(args, key) is not None else getattr(found, key)
        for key, _option, _label in CONTACT_OPTIONS
    }
    contact = update(cli_context(), found, _contact_input(values))
    _print_contact(contact, args.json, "enregistré")
    return 0


def list_contacts(args: argparse.Namespace) -> int:
    from caducee.coordination.models import Contact
    from caducee.coordination.operations import search_contacts
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    contacts = (
        search_contacts(structure, args.search, limit=1000)
        if args.search.strip()
        else list(Contact.objects.filter(structure=structure))
    )
    if args.json:
        print_json([contact_row(c) for c in contacts])
        return 0
    if not contacts:
        print("Aucun contact.")
    for c in contacts:
        print(f"{c.pk}\t{c.display_name}\t{c.profession}\t{c.organisation}\t{c.email}")
    return 0


def import_contact(args: argparse.Namespace) -> int:
    from caducee.accounts.models import Account
    from caducee.coordination.operations import import_directory_contact
    from caducee.core.context import cli_context
    from caducee.core.errors import NotFound
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    reference = args.account.strip()
    if reference.isdigit():
        account_id = int(reference)
    else:
        account = Account.objects.filter(email=reference.lower()).first()
        if account is None:
            raise NotFound(f"Fiche « {reference} » introuvable dans l'annuaire régional.")
        account_id = account.pk
    contact = import_directory_contact(cli_context(), structure, account_id)
    _print_contact(contact, args.json, f"dans l'annuaire de {structure.name}")
    return 0


def partner_row(partner: Partner) -> dict[str, Any]:
    shared = partner.contact.shared_external
    return {
        "id": partner.pk,
        "contact_id": partner.contact_id,
        "name": partner.contact.display_name,
        "email": partner.contact.email,
        "contact_type": partner.contact_type,
        "access_enabled": partner.access_enabled,
        "external_account": shared.identifier if shared is not None else "",
    }


def list_partners(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import read_record
    from caducee.core.context import cli_context

    found = common.record(args.record)
    read_record(cli_context(), found, "cli:partners")
    rows = [
        partner_row(p)
        for p in found.partners.select_related("contact", "contact__external_account")
    ]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("Aucun partenaire.")
    for row in rows:
        state = "accès ouvert" if row["access_enabled"] else "accès retiré"
        print(f"{row['contact_id']}\t{row['name']}\t{row['contact_type']}\t{state}")
    return 0


def attach_partner(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import attach_partner as attach
    from caducee.core.context import cli_context

    found = common.record(args.record)
    contact = common.contact(found.structure, args.contact)
    attach(cli_context(), found, contact, args.type)
    print(f"{contact.display_name} rattaché au dossier {found.pk}.")
    return 0


def detach_partner(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import detach_partner as detach
    from caducee.core.context import cli_context

    partner = common.partner(common.record(args.record), args.contact)
    detach(cli_context(), partner)
    print(f"{partner.contact.display_name} détaché : il n'a plus accès au dossier.")
    return 0


def partner_access(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import set_partner_access
    from caducee.core.context import cli_context

    partner = common.partner(common.record(args.record), args.contact)
    set_partner_access(cli_context(), partner, args.open)
    name = partner.contact.display_name
    if args.open:
        print(f"Accès au dossier rétabli pour {name}.")
    else:
        print(f"Accès au dossier retiré à {name} ; il reste dans la liste des partenaires.")
    return 0


def partner_account(args: argparse.Namespace) -> int:
    from caducee.coordination.operations import (
        create_external_account,
        find_profile,
        suggest_identifier,
    )
    from caducee.coordination.permissions import ProfileKind
    from caducee.core.context import cli_context

    partner = common.partner(common.record(args.record), args.contact)
    contact = partner.contact
    profile = find_profile(contact.structure, args.profile, ProfileKind.EXTERNAL)
    identifier = args.identifier or suggest_identifier(contact.first_name, contact.last_name)
    create_external_account(cli_context(), partner, identifier, profile)
    print(
        f"Invitation envoyée : un mail est parti à {contact.email}. Le partenaire aura accès "
        "au dossier dès qu'il l'aura acceptée."
    )
    return 0
