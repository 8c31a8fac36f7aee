"""Contacts: the structure's coordination directory, fed by hand or from the regional one."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from caducee.accounts.models import Account, AccountState
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.coordination import access
from caducee.coordination.models import Contact, ExternalAccount
from caducee.coordination.operations._common import clean_email, clean_phone, fail, known_to
from caducee.coordination.permissions import CONTACT_MANAGE
from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.directory.entries import is_listed
from caducee.directory.search import search as directory_search
from caducee.referentials import lists
from caducee.structures.models import Structure


@dataclass
class ContactInput:
    last_name: str
    first_name: str = ""
    profession: str = ""
    organisation: str = ""
    phone: str = ""
    email: str = ""


def _clean_contact(data: ContactInput) -> dict[str, str]:
    problems: list[Problem] = []
    last_name = " ".join(data.last_name.split()).upper()
    if not last_name:
        problems.append(Problem("last_name", "required", "Indiquez le nom du contact."))
    email = clean_email(data.email, problems)
    phone = clean_phone(data.phone, problems)
    if problems:
        raise Invalid("Le contact n'a pas été enregistré : corrigez les champs signalés.", problems)
    return {
        "last_name": last_name,
        "first_name": " ".join(data.first_name.split()),
        "profession": " ".join(data.profession.split()),
        "organisation": " ".join(data.organisation.split()),
        "phone": phone,
        "email": email,
    }


def create_contact(ctx: Context, structure: Structure, data: ContactInput) -> Contact:
    """Holders of `contact.manage` in the structure; audit `coordination.contact_create`."""
    access.require_structure_permission(ctx, structure, CONTACT_MANAGE)
    values = _clean_contact(data)
    with transaction.atomic():
        contact = Contact.objects.create(structure=structure, **values)
        _link_existing_external(contact)
        record_event(
            ctx,
            AuditAction.COORDINATION_CONTACT_CREATE,
            structure=structure,
            target=contact,
            detail={"email": contact.email, "profession": contact.profession},
        )
    return contact


def update_contact(ctx: Context, contact: Contact, data: ContactInput) -> Contact:
    """Holders of `contact.manage` in its structure; audit `coordination.contact_update`."""
    access.require_structure_permission(ctx, contact.structure, CONTACT_MANAGE)
    values = _clean_contact(data)
    shared = contact.shared_external
    if shared is not None and values["email"] != contact.email:
        raise fail(
            "Ce contact a un compte externe : son adresse mail ne se change pas ici.",
            "email",
            "external",
        )
    changes = {k: [getattr(contact, k), v] for k, v in values.items() if getattr(contact, k) != v}
    if not changes:
        return contact
    with transaction.atomic():
        for key, value in values.items():
            setattr(contact, key, value)
        if "email" in changes:
            # A pending invitation (or an old link by email) follows the old address.
            contact.invited_at = None
            contact.external_account = None
        contact.save()
        _link_existing_external(contact)
        record_event(
            ctx,
            AuditAction.COORDINATION_CONTACT_UPDATE,
            structure=contact.structure,
            target=contact,
            detail={"changes": changes},
        )
    return contact


def _link_existing_external(contact: Contact) -> None:
    """A contact whose email is that of an external account the contact's structure created
    (or invited) is that account's contact. An account of another structure is never linked
    by email alone: the structure must invite it (`create_external_account`)."""
    if contact.external_account_id is None and contact.email:
        existing = ExternalAccount.objects.filter(user__email=contact.email).first()
        if existing is not None and known_to(existing, contact.structure):
            contact.external_account = existing
            contact.save(update_fields=["external_account"])


def directory_candidates(text: str, limit: int = 20) -> list[Account]:
    """Entries of the platform's regional directory matching the first letters typed.

    Uses the directory's search; when its index finds nothing (entries not built yet),
    the visible valid accounts that the directory lists (`is_listed`: never the liste
    rouge, never unlisted accounts).
    """
    term = text.strip()
    if len(term) < 2:
        return []
    found = directory_search(term, limit)
    if found:
        return found
    candidates = (
        Account.objects.filter(visible=True, state=AccountState.VALID)
        .filter(
            Q(last_name__istartswith=term)
            | Q(first_name__istartswith=term)
            | Q(email__istartswith=term.lower())
        )
        .select_related("structure", "listing")
        .order_by("last_name", "first_name")
    )
    # The directory's own rule decides who is listed; bounded scan.
    return [a for a in candidates[: limit * 5] if is_listed(a)][:limit]


def import_directory_contact(ctx: Context, structure: Structure, account_id: int) -> Contact:
    """Holders of `contact.manage`; audit `coordination.contact_import` (none when reused).

    Copy an entry of the regional directory into the structure's contacts (or reuse it)."""
    access.require_structure_permission(ctx, structure, CONTACT_MANAGE)
    account = (
        Account.objects.filter(pk=account_id, visible=True, state=AccountState.VALID)
        .select_related("structure")
        .first()
    )
    if account is None or not is_listed(account):
        raise NotFound("Fiche de l'annuaire introuvable.")
    existing = Contact.objects.filter(structure=structure, directory_account=account).first()
    if existing is not None:
        return existing
    profession = ""
    if account.profession:
        try:
            profession = lists.professions().label(account.profession)
        except (AttributeError, KeyError):
            profession = account.profession
    with transaction.atomic():
        contact = Contact.objects.create(
            structure=structure,
            last_name=account.last_name.upper(),
            first_name=account.first_name,
            profession=profession,
            organisation=account.company_name or account.structure.name,
            phone=account.phone1,
            email=account.email,
            directory_account=account,
        )
        _link_existing_external(contact)
        record_event(
            ctx,
            AuditAction.COORDINATION_CONTACT_IMPORT,
            structure=structure,
            target=contact,
            detail={"directory_account": account.email},
        )
    return contact


def search_contacts(structure: Structure, text: str, limit: int = 20) -> list[Contact]:
    """Contacts of the structure whose name starts with the letters typed."""
    term = text.strip()
    if not term:
        return []
    return list(
        Contact.objects.filter(structure=structure)
        .filter(
            Q(last_name__istartswith=term)
            | Q(first_name__istartswith=term)
            | Q(organisation__istartswith=term)
            | Q(email__istartswith=term.lower())
        )
        .select_related("external_account")[:limit]
    )
