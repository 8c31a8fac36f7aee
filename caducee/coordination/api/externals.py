"""External accounts (« Comptes externes ») and the partner's invitations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Schema, Status

from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.coordination import access, operations
from caducee.coordination.api.common import (
    internal_person,
    page_of,
    paging,
    person,
    router,
    structure,
)
from caducee.coordination.api.rights import profile_by_id
from caducee.coordination.models import Contact, ExternalAccount, ExternalGrant
from caducee.coordination.permissions import RECORD_READ
from caducee.core.errors import NotFound
from caducee.structures.models import Structure

EXTERNALS_PAGE = 500


class ExternalOut(Schema):
    id: int
    identifier: str
    email: str
    first_name: str
    last_name: str
    status: str
    origin: str
    profile_id: int
    profile: str
    home_structure_id: int
    home_structure: str
    owner_structure_id: int
    owner_structure: str
    created_at: datetime
    activated_at: datetime | None


class ExternalCreateIn(Schema):
    contact_id: int
    identifier: str = ""
    profile_id: int | None = None
    home_structure_id: int | None = None


class CredentialsOut(Schema):
    """Shown once: the password is stored nowhere else and never emailed."""

    external: ExternalOut
    password: str
    login_url: str


class ExternalChangesIn(Schema):
    first_name: str
    last_name: str
    profile_id: int | None = None
    home_structure_id: int | None = None
    suspended: bool = False


class PartnerAccountIn(Schema):
    identifier: str = ""
    profile_id: int | None = None


class DetailOut(Schema):
    detail: str


class SuspensionIn(Schema):
    suspended: bool


class SuspensionOut(Schema):
    external_id: int
    structure_id: int
    suspended: bool


class InvitationOut(Schema):
    id: int
    structure: str
    invited_at: datetime
    accepted: bool


def external_out(external: ExternalAccount) -> dict[str, Any]:
    return {
        "id": external.pk,
        "identifier": external.identifier,
        "email": external.user.email,
        "first_name": external.user.first_name,
        "last_name": external.user.last_name,
        "status": external.status,
        "origin": external.origin,
        "profile_id": external.profile_id,
        "profile": external.profile.name,
        "home_structure_id": external.home_structure_id,
        "home_structure": external.home_structure.name,
        "owner_structure_id": external.owner_structure_id,
        "owner_structure": external.owner_structure.name,
        "created_at": external.created_at,
        "activated_at": external.activated_at,
    }


def invitation_out(grant: ExternalGrant) -> dict[str, Any]:
    return {
        "id": grant.pk,
        "structure": grant.structure.name,
        "invited_at": grant.invited_at,
        "accepted": grant.accepted_at is not None,
    }


def _home(structure_id: int | None) -> Structure | None:
    return None if structure_id is None else structure(structure_id)


# --- External accounts -------------------------------------------------------------------


@router.get(
    "/coordination/external-accounts",
    response=responses({200: list[ExternalOut]}, 404, 422),
    summary="Comptes externes",
    description="Ceux créés par, ou rattachés à, une structure que la personne administre "
    "ou où elle a le droit « Modifier un compte externe ». " + paging(EXTERNALS_PAGE),
)
def list_externals(request: HttpRequest, page: int = 1) -> Any:
    accounts = access.external_accounts_for(internal_person(request)).order_by("identifier")
    return [external_out(a) for a in page_of(accounts, page, EXTERNALS_PAGE)]


def _external(request: HttpRequest, external_id: int) -> ExternalAccount:
    accounts = access.external_accounts_for(internal_person(request))
    external = accounts.filter(pk=external_id).first()
    if external is None:
        raise NotFound("Compte externe introuvable.")
    return external


@router.get(
    "/coordination/external-accounts/{external_id}",
    response=responses({200: ExternalOut}, 404),
    summary="Un compte externe",
)
def get_external(request: HttpRequest, external_id: int) -> Any:
    return external_out(_external(request, external_id))


@router.post(
    "/coordination/external-accounts",
    response=responses({201: CredentialsOut}, 403, 404, 422),
    summary="Créer un compte externe actif (création manuelle, administrateurs)",
    description="Depuis un contact de l'annuaire. `identifier` vide : proposé (initiale du "
    "prénom + nom). `home_structure_id` absent : « Utilisateur externe » ; une autre "
    "structure (que vous administrez) ouvre ses données au compte. Le mot de passe est "
    "rendu une seule fois (réponse non mise en cache).",
)
def create_external(request: HttpRequest, payload: ExternalCreateIn, response: HttpResponse) -> Any:
    internal_person(request)
    contact = Contact.objects.select_related("structure").filter(pk=payload.contact_id).first()
    if contact is None:
        raise NotFound("Contact introuvable.")
    identifier = payload.identifier or operations.suggest_identifier(
        contact.first_name, contact.last_name
    )
    credentials = operations.create_external_account_manual(
        api_context(request),
        contact,
        identifier,
        profile_by_id(payload.profile_id),
        _home(payload.home_structure_id),
    )
    response.headers["Cache-Control"] = "no-store"
    return Status(
        201,
        {
            "external": external_out(credentials.external),
            "password": credentials.password,
            "login_url": credentials.login_url,
        },
    )


@router.put(
    "/coordination/external-accounts/{external_id}",
    response=responses({200: ExternalOut}, 403, 404, 422),
    summary="Modifier un compte externe",
    description="Nom, prénom, profil externe, structure de rattachement (absente : "
    "« Utilisateur externe »), désactivation (`suspended`). Droit « Modifier un compte "
    "externe » dans la structure qui l'a créé.",
)
def modify_external(request: HttpRequest, external_id: int, payload: ExternalChangesIn) -> Any:
    external = operations.modify_external_account(
        api_context(request),
        _external(request, external_id),
        operations.ExternalChanges(
            first_name=payload.first_name,
            last_name=payload.last_name,
            profile=profile_by_id(payload.profile_id),
            home_structure=_home(payload.home_structure_id),
            suspended=payload.suspended,
        ),
    )
    return external_out(external)


@router.post(
    "/coordination/external-accounts/{external_id}/activation-link",
    response=responses({202: DetailOut}, 403, 404, 422),
    summary="Renvoyer le lien d'activation (l'ancien ne sert plus)",
)
def resend_activation(request: HttpRequest, external_id: int) -> Any:
    external = _external(request, external_id)
    operations.resend_activation(api_context(request), external)
    return Status(202, {"detail": f"Nouveau lien d'activation envoyé à {external.user.email}."})


@router.put(
    "/coordination/external-accounts/{external_id}/structures/{structure_id}/suspension",
    response=responses({200: SuspensionOut}, 403, 404, 422),
    summary="Suspendre (ou rétablir) l'accès d'un compte externe aux dossiers d'une structure",
    description="Le compte et son accès aux dossiers des autres structures ne changent pas. "
    "Administrateur de la structure ou droit « Rattacher, détacher les partenaires ».",
)
def set_suspension(
    request: HttpRequest, external_id: int, structure_id: int, payload: SuspensionIn
) -> Any:
    internal_person(request)
    external = ExternalAccount.objects.filter(pk=external_id).first()
    if external is None:
        raise NotFound("Compte externe introuvable.")
    grant = operations.set_structure_suspension(
        api_context(request), structure(structure_id), external, payload.suspended
    )
    return {
        "external_id": external.pk,
        "structure_id": grant.structure_id,
        "suspended": grant.is_suspended,
    }


@router.post(
    "/coordination/records/{record_id}/partners/{partner_id}/external-account",
    response=responses({202: DetailOut}, 403, 404, 422),
    summary="Créer un compte externe pour un partenaire (lien d'activation par mail)",
    description="Même réponse que l'adresse ait déjà un compte ailleurs (une invitation "
    "part alors) ou non. `identifier` vide : proposé. Droit « Créer un compte externe ».",
)
def create_partner_account(
    request: HttpRequest, record_id: int, partner_id: int, payload: PartnerAccountIn
) -> Any:
    partner = access.access_partner(internal_person(request), record_id, partner_id, RECORD_READ)
    contact = partner.contact
    identifier = payload.identifier or operations.suggest_identifier(
        contact.first_name, contact.last_name
    )
    operations.create_external_account(
        api_context(request), partner, identifier, profile_by_id(payload.profile_id)
    )
    return Status(
        202,
        {
            "detail": f"Invitation envoyée : un mail est parti à {contact.email}. Le partenaire "
            "aura accès au dossier dès qu'il l'aura acceptée."
        },
    )


# --- Invitations (the external partner's side) ------------------------------------------


@router.get(
    "/coordination/invitations",
    response=responses({200: list[InvitationOut]}),
    summary="Invitations en attente (partenaire externe)",
)
def list_invitations(request: HttpRequest) -> Any:
    return [invitation_out(g) for g in operations.pending_invitations(person(request))]


@router.post(
    "/coordination/invitations/{grant_id}/accept",
    response=responses({200: InvitationOut}, 404),
    summary="Accepter l'invitation d'une structure (partenaire externe)",
)
def accept_invitation(request: HttpRequest, grant_id: int) -> Any:
    return invitation_out(operations.accept_invitation(api_context(request), grant_id))
