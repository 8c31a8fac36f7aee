"""Rights profiles and memberships (« Droits d'accès »)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Schema, Status

from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.coordination import access, operations
from caducee.coordination.api.common import (
    internal_person,
    router,
    structure,
)
from caducee.coordination.models import (
    Membership,
    RightsProfile,
)
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.structures.models import Structure


class ProfileOut(Schema):
    id: int
    structure_id: int
    name: str
    kind: str
    permissions: list[str]
    is_default: bool


class ProfileIn(Schema):
    name: str
    kind: str = "interne"
    permissions: list[str] = []  # noqa: RUF012 - a pydantic field: each instance gets a copy


class ProfileUpdateIn(Schema):
    name: str
    permissions: list[str] = []  # noqa: RUF012 - a pydantic field: each instance gets a copy


class MembershipOut(Schema):
    id: int
    structure_id: int
    email: str
    name: str
    profile_id: int
    profile: str


class MembershipIn(Schema):
    email: str
    profile_id: int


def profile_out(profile: RightsProfile) -> dict[str, Any]:
    return {
        "id": profile.pk,
        "structure_id": profile.structure_id,
        "name": profile.name,
        "kind": profile.kind,
        "permissions": list(profile.permissions),
        "is_default": profile.is_default,
    }


def membership_out(membership: Membership) -> dict[str, Any]:
    user = membership.user
    return {
        "id": membership.pk,
        "structure_id": membership.structure_id,
        "email": user.email,
        "name": f"{user.last_name} {user.first_name}".strip(),
        "profile_id": membership.profile_id,
        "profile": membership.profile.name,
    }


def profile_by_id(profile_id: int | None) -> RightsProfile | None:
    """The profile named by id, or None (the operation then says which one to choose)."""
    if profile_id is None:
        return None
    return RightsProfile.objects.select_related("structure").filter(pk=profile_id).first()


def _administered(request: HttpRequest, structure_id: int) -> Structure:
    """A structure this person administers (the console's « Profils » and « Droits »)."""
    internal_person(request)
    where = structure(structure_id)
    access.require_structure_admin(api_context(request), where)
    return where


# --- Rights profiles ---------------------------------------------------------------------


@router.get(
    "/coordination/structures/{structure_id}/profiles",
    response=responses({200: list[ProfileOut]}, 403, 404),
    summary="Profils de droits d'une structure (administrateurs)",
)
def list_profiles(request: HttpRequest, structure_id: int) -> Any:
    where = _administered(request, structure_id)
    return [profile_out(p) for p in operations.ensure_default_profiles(where)]


@router.post(
    "/coordination/structures/{structure_id}/profiles",
    response=responses({201: ProfileOut}, 403, 404, 422),
    summary="Créer un profil de droits",
    description="`kind` : interne ou externe. `permissions` : record.read, record.create, "
    "liaison.read, liaison.write, document.add, contact.manage, partner.manage, "
    "external.create, external.modify (un profil externe : les quatre premiers de lecture "
    "et d'écriture au plus).",
)
def create_profile(request: HttpRequest, structure_id: int, payload: ProfileIn) -> Any:
    internal_person(request)
    profile = operations.create_profile(
        api_context(request),
        structure(structure_id),
        payload.name,
        payload.kind,
        payload.permissions,
    )
    return Status(201, profile_out(profile))


def _existing_profile(request: HttpRequest, profile_id: int) -> RightsProfile:
    internal_person(request)
    profile = profile_by_id(profile_id)
    if profile is None:
        raise NotFound("Profil introuvable.")
    return profile


@router.put(
    "/coordination/profiles/{profile_id}",
    response=responses({200: ProfileOut}, 403, 404, 422),
    summary="Modifier un profil de droits (nom et droits)",
)
def update_profile(request: HttpRequest, profile_id: int, payload: ProfileUpdateIn) -> Any:
    profile = operations.update_profile(
        api_context(request),
        _existing_profile(request, profile_id),
        payload.name,
        payload.permissions,
    )
    return profile_out(profile)


@router.delete(
    "/coordination/profiles/{profile_id}",
    response=responses({204: None}, 403, 404, 422),
    summary="Supprimer un profil de droits (attribué à personne)",
)
def delete_profile(request: HttpRequest, profile_id: int) -> Any:
    operations.delete_profile(api_context(request), _existing_profile(request, profile_id))
    return Status(204, None)


# --- Memberships -------------------------------------------------------------------------


@router.get(
    "/coordination/structures/{structure_id}/memberships",
    response=responses({200: list[MembershipOut]}, 403, 404),
    summary="Droits d'accès : qui a quel profil dans la structure (administrateurs)",
)
def list_memberships(request: HttpRequest, structure_id: int) -> Any:
    where = _administered(request, structure_id)
    memberships = (
        Membership.objects.filter(structure=where)
        .select_related("user", "profile")
        .order_by("user__last_name", "user__email")
    )
    return [membership_out(m) for m in memberships]


@router.put(
    "/coordination/structures/{structure_id}/memberships",
    response=responses({200: MembershipOut}, 403, 404, 422),
    summary="Attribuer un profil interne à une personne de la structure",
    description="La personne (par son adresse mail) a un compte nominatif dans la structure "
    "ou l'administre. Elle avait déjà un profil : il est remplacé.",
)
def set_membership(request: HttpRequest, structure_id: int, payload: MembershipIn) -> Any:
    internal_person(request)
    where = structure(structure_id)
    profile = profile_by_id(payload.profile_id)
    if profile is None:
        # The operation's own answer to a profile of another structure, after its check.
        access.require_structure_admin(api_context(request), where)
        raise Invalid(
            "Choisissez un profil interne de cette structure.",
            [Problem("profile", "choice", "Choisissez un profil interne de cette structure.")],
        )
    membership = operations.set_membership(api_context(request), where, payload.email, profile)
    return membership_out(membership)


@router.delete(
    "/coordination/memberships/{membership_id}",
    response=responses({204: None}, 403, 404),
    summary="Retirer son profil à une personne",
)
def remove_membership(request: HttpRequest, membership_id: int) -> Any:
    internal_person(request)
    membership = (
        Membership.objects.select_related("structure", "user", "profile")
        .filter(pk=membership_id)
        .first()
    )
    if membership is None:
        raise NotFound("Droit introuvable.")
    operations.remove_membership(api_context(request), membership)
    return Status(204, None)
