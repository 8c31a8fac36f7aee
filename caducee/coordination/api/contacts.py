"""The structure's contacts (« Annuaire »), the regional directory, a record's partners."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Schema, Status

from caducee.accounts.models import Account
from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.coordination import access, operations
from caducee.coordination.api.common import (
    internal_person,
    page_of,
    paging,
    readable_structure,
    router,
    structure,
)
from caducee.coordination.models import Contact, Partner
from caducee.coordination.permissions import RECORD_READ
from caducee.core.errors import NotFound

CONTACTS_PAGE = 200
SEARCH_LIMIT = 200


class ContactOut(Schema):
    id: int
    structure_id: int
    last_name: str
    first_name: str
    profession: str
    organisation: str
    phone: str
    email: str
    directory_account_id: int | None
    # The external account's identifier, once this structure created or accepted it.
    external_account: str


class ContactIn(Schema):
    last_name: str
    first_name: str = ""
    profession: str = ""
    organisation: str = ""
    phone: str = ""
    email: str = ""


class DirectoryCandidateOut(Schema):
    account_id: int
    last_name: str
    first_name: str
    email: str
    structure: str


class ImportIn(Schema):
    account_id: int


class PartnerOut(Schema):
    id: int
    record_id: int
    contact_id: int
    name: str
    contact_type: str
    access_enabled: bool
    external_account: str


class PartnerIn(Schema):
    contact_id: int
    contact_type: str


class AccessIn(Schema):
    enabled: bool


def contact_input(payload: ContactIn) -> operations.ContactInput:
    return operations.ContactInput(
        last_name=payload.last_name,
        first_name=payload.first_name,
        profession=payload.profession,
        organisation=payload.organisation,
        phone=payload.phone,
        email=payload.email,
    )


def contact_out(contact: Contact) -> dict[str, Any]:
    shared = contact.shared_external  # never an account the structure does not know
    return {
        "id": contact.pk,
        "structure_id": contact.structure_id,
        "last_name": contact.last_name,
        "first_name": contact.first_name,
        "profession": contact.profession,
        "organisation": contact.organisation,
        "phone": contact.phone,
        "email": contact.email,
        "directory_account_id": contact.directory_account_id,
        "external_account": shared.identifier if shared is not None else "",
    }


def directory_out(account: Account) -> dict[str, Any]:
    return {
        "account_id": account.pk,
        "last_name": account.last_name,
        "first_name": account.first_name,
        "email": account.email,
        "structure": account.structure.name,
    }


def partner_out(partner: Partner) -> dict[str, Any]:
    shared = partner.contact.shared_external
    return {
        "id": partner.pk,
        "record_id": partner.record_id,
        "contact_id": partner.contact_id,
        "name": partner.contact.display_name,
        "contact_type": partner.contact_type,
        "access_enabled": partner.access_enabled,
        "external_account": shared.identifier if shared is not None else "",
    }


# --- Contacts ----------------------------------------------------------------------------


@router.get(
    "/coordination/structures/{structure_id}/contacts",
    response=responses({200: list[ContactOut]}, 404, 422),
    summary="Annuaire des contacts d'une structure",
    description="Sans `q` : tous les contacts, par page. " + paging(CONTACTS_PAGE) + " Avec "
    f"`q` : les {SEARCH_LIMIT} premiers contacts dont le nom, le prénom, l'organisation ou "
    "l'adresse mail commence par `q` (précisez `q` pour en voir d'autres).",
)
def list_contacts(request: HttpRequest, structure_id: int, q: str = "", page: int = 1) -> Any:
    user = internal_person(request)
    where = readable_structure(user, structure_id, RECORD_READ)
    query = q.strip()[:100]
    if query:
        found = operations.search_contacts(where, query, limit=SEARCH_LIMIT)
    else:
        everyone = Contact.objects.filter(structure=where).select_related("external_account")
        found = page_of(everyone, page, CONTACTS_PAGE)
    return [contact_out(c) for c in found]


@router.post(
    "/coordination/structures/{structure_id}/contacts",
    response=responses({201: ContactOut}, 403, 404, 422),
    summary="Ajouter un contact à l'annuaire",
    description="Droit « Gérer l'annuaire des contacts » dans la structure.",
)
def create_contact(request: HttpRequest, structure_id: int, payload: ContactIn) -> Any:
    internal_person(request)
    contact = operations.create_contact(
        api_context(request), structure(structure_id), contact_input(payload)
    )
    return Status(201, contact_out(contact))


@router.put(
    "/coordination/contacts/{contact_id}",
    response=responses({200: ContactOut}, 403, 404, 422),
    summary="Modifier un contact",
    description="Remplace tous les champs du contact. Droit « Gérer l'annuaire des contacts ».",
)
def update_contact(request: HttpRequest, contact_id: int, payload: ContactIn) -> Any:
    internal_person(request)
    contact = Contact.objects.select_related("structure").filter(pk=contact_id).first()
    if contact is None:
        raise NotFound("Contact introuvable.")
    contact = operations.update_contact(api_context(request), contact, contact_input(payload))
    return contact_out(contact)


@router.get(
    "/coordination/structures/{structure_id}/directory",
    response=responses({200: list[DirectoryCandidateOut]}, 404, 422),
    summary="Chercher dans l'annuaire régional un contact à importer",
    description="Les 20 premières fiches dont le nom, le prénom ou l'adresse mail commence "
    "par `q` (2 caractères au moins) ; précisez `q` pour en voir d'autres.",
)
def directory(request: HttpRequest, structure_id: int, q: str = "") -> Any:
    user = internal_person(request)
    readable_structure(user, structure_id, RECORD_READ)
    return [directory_out(a) for a in operations.directory_candidates(q[:100])]


@router.post(
    "/coordination/structures/{structure_id}/contacts/import",
    response=responses({201: ContactOut}, 403, 404, 422),
    summary="Importer une fiche de l'annuaire régional dans les contacts",
    description="Déjà importée : le contact existant est rendu. Droit « Gérer l'annuaire "
    "des contacts ».",
)
def import_contact(request: HttpRequest, structure_id: int, payload: ImportIn) -> Any:
    internal_person(request)
    contact = operations.import_directory_contact(
        api_context(request), structure(structure_id), payload.account_id
    )
    return Status(201, contact_out(contact))


# --- Partners of a record ----------------------------------------------------------------


@router.get(
    "/coordination/records/{record_id}/partners",
    response=responses({200: list[PartnerOut]}, 404),
    summary="Partenaires d'un dossier",
)
def list_partners(request: HttpRequest, record_id: int) -> Any:
    found = access.access_record(internal_person(request), record_id)
    operations.read_record(api_context(request), found.record, "api:partners")
    partners = found.record.partners.select_related("contact", "contact__external_account")
    return [partner_out(p) for p in partners]


@router.post(
    "/coordination/records/{record_id}/partners",
    response=responses({201: PartnerOut}, 403, 404, 422),
    summary="Rattacher un contact de l'annuaire au dossier",
    description="`contact_type` : medecin_traitant, medecin_specialiste, pharmacien, "
    "infirmier, kinesitherapeute, travailleur_social, aide_domicile, aidant, autre. Droit "
    "« Rattacher, détacher les partenaires et gérer leurs accès ».",
)
def attach_partner(request: HttpRequest, record_id: int, payload: PartnerIn) -> Any:
    found = access.access_record(internal_person(request), record_id)
    contact = Contact.objects.filter(pk=payload.contact_id).first()
    if contact is None:
        raise NotFound("Contact introuvable.")
    partner = operations.attach_partner(
        api_context(request), found.record, contact, payload.contact_type
    )
    return Status(201, partner_out(partner))


def _partner(request: HttpRequest, record_id: int, partner_id: int) -> Partner:
    """The partner, on a record this person may read; the operation checks the right."""
    return access.access_partner(internal_person(request), record_id, partner_id, RECORD_READ)


@router.delete(
    "/coordination/records/{record_id}/partners/{partner_id}",
    response=responses({204: None}, 403, 404),
    summary="Détacher un partenaire (il n'a plus accès au dossier)",
)
def detach_partner(request: HttpRequest, record_id: int, partner_id: int) -> Any:
    operations.detach_partner(api_context(request), _partner(request, record_id, partner_id))
    return Status(204, None)


@router.put(
    "/coordination/records/{record_id}/partners/{partner_id}/access",
    response=responses({200: PartnerOut}, 403, 404, 422),
    summary="Ouvrir ou fermer le dossier à un partenaire (il reste dans la liste)",
)
def set_partner_access(
    request: HttpRequest, record_id: int, partner_id: int, payload: AccessIn
) -> Any:
    partner = operations.set_partner_access(
        api_context(request), _partner(request, record_id, partner_id), payload.enabled
    )
    return partner_out(partner)
