"""Look-ups shared by the `caducee coordination` commands (the server sees every row)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caducee.coordination.models import Contact, ExternalAccount, Partner, Record
    from caducee.structures.models import Structure


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="sortie JSON")


def record(reference: str) -> Record:
    from caducee.coordination.models import Record
    from caducee.core.errors import NotFound

    value = reference.strip()
    found = (
        Record.objects.select_related("structure").filter(pk=int(value)).first()
        if (value.isdigit())
        else None
    )
    if found is None:
        raise NotFound(f"Dossier « {reference} » introuvable.")
    return found


def contact(structure: Structure, reference: str) -> Contact:
    """A contact of the structure's directory, by number or email address."""
    from caducee.coordination.models import Contact
    from caducee.core.errors import NotFound

    value = reference.strip()
    contacts = Contact.objects.filter(structure=structure).select_related("structure")
    found = (
        contacts.filter(pk=int(value)).first()
        if value.isdigit()
        else contacts.filter(email=value.lower()).first()
    )
    if found is None:
        raise NotFound(f"Contact « {reference} » introuvable dans l'annuaire de {structure.name}.")
    return found


def partner(of: Record, reference: str) -> Partner:
    """A partner of the record, by the number or email address of its contact."""
    from caducee.coordination.models import Partner
    from caducee.core.errors import NotFound

    wanted = contact(of.structure, reference)
    found = (
        Partner.objects.select_related("contact", "contact__external_account", "record")
        .filter(record=of, contact=wanted)
        .first()
    )
    if found is None:
        raise NotFound(f"{wanted.display_name} n'est pas partenaire du dossier {of.pk}.")
    return found


def external(identifier: str) -> ExternalAccount:
    from caducee.coordination.models import ExternalAccount
    from caducee.core.errors import NotFound

    found = (
        ExternalAccount.objects.select_related("user", "profile", "owner_structure")
        .filter(identifier=identifier.strip().lower())
        .first()
    )
    if found is None:
        raise NotFound(f"Compte externe « {identifier} » introuvable.")
    return found
