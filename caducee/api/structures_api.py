"""Structures and their admins: thin adapters over `caducee.structures.operations`.

Creating a structure and appointing or removing its admins are the operator's (the
operations refuse anyone else: 403); a structure admin reads the structures they
administer and edits the fields that are theirs (`structures/ownership.py`: changing an
operator field answers 403). A structure the caller does not administer does not exist for
them (404).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.api.serializers import AdminOut, StructureOut, admin_out, structure_out
from caducee.core.errors import NotFound
from caducee.core.web import api_user
from caducee.identity.operations import issue_password_link
from caducee.structures import operations
from caducee.structures.access import access_structure, structures_for_admin
from caducee.structures.models import StructureAdmin
from caducee.structures.ownership import FIELDS

router = Router(tags=["structures"])


class StructureIn(Schema):
    """A structure's fields; `department` and `region` take a code or a label."""

    name: str
    id_type: str
    id_number: str
    domain: str = ""
    address1: str = ""
    address2: str = ""
    postal_code: str = ""
    city: str = ""
    department: str = ""
    region: str = ""
    phone: str = ""
    contact_name: str = ""
    contact_email: str = ""


class StructurePatchIn(Schema):
    """Only the fields sent change; `department` and `region` take a code or a label."""

    name: str | None = None
    id_type: str | None = None
    id_number: str | None = None
    domain: str | None = None
    address1: str | None = None
    address2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    department: str | None = None
    region: str | None = None
    phone: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None


class AppointIn(Schema):
    email: str


class AppointedOut(AdminOut):
    created: bool
    password_link: str | None


def _input(payload: StructureIn) -> operations.StructureInput:
    return operations.StructureInput(**payload.model_dump())


@router.get(
    "/structures",
    response=responses({200: list[StructureOut]}),
    summary="Structures administrées (toutes, pour l'opérateur)",
)
def list_structures(request: HttpRequest) -> Any:
    return [structure_out(s) for s in structures_for_admin(api_user(request)).order_by("name")]


@router.post(
    "/structures",
    response=responses({201: StructureOut}, 400, 403, 422),
    summary="Créer une structure (opérateur)",
)
def create_structure(request: HttpRequest, payload: StructureIn) -> Any:
    structure = operations.create_structure(api_context(request), _input(payload))
    return Status(201, structure_out(structure))


@router.get(
    "/structures/{structure_id}",
    response=responses({200: StructureOut}, 404),
    summary="Une structure",
)
def get_structure(request: HttpRequest, structure_id: int) -> Any:
    return structure_out(access_structure(api_user(request), structure_id))


@router.put(
    "/structures/{structure_id}",
    response=responses({200: StructureOut}, 400, 403, 404, 422),
    summary="Modifier une structure (tous les champs sont envoyés ; un administrateur de la "
    "structure ne change que l'adresse, le téléphone et le contact)",
)
def update_structure(request: HttpRequest, structure_id: int, payload: StructureIn) -> Any:
    structure = access_structure(api_user(request), structure_id)
    updated = operations.update_structure(api_context(request), structure, _input(payload))
    return structure_out(updated)


@router.patch(
    "/structures/{structure_id}",
    response=responses({200: StructureOut}, 400, 403, 404, 422),
    summary="Paramétrage de la structure : modifier les champs envoyés (un administrateur de "
    "la structure : l'adresse, le téléphone et le contact)",
)
def patch_structure(request: HttpRequest, structure_id: int, payload: StructurePatchIn) -> Any:
    structure = access_structure(api_user(request), structure_id)
    values = {key: getattr(structure, key) or "" for key in FIELDS}
    values.update({k: v for k, v in payload.model_dump(exclude_none=True).items()})
    data = operations.StructureInput(**values)
    return structure_out(operations.update_structure(api_context(request), structure, data))


@router.get(
    "/structures/{structure_id}/admins",
    response=responses({200: list[AdminOut]}, 404),
    summary="Administrateurs d'une structure",
)
def list_admins(request: HttpRequest, structure_id: int) -> Any:
    structure = access_structure(api_user(request), structure_id)
    roles = StructureAdmin.objects.filter(structure=structure).select_related("user")
    return [admin_out(role.user) for role in roles.order_by("user__email")]


@router.post(
    "/structures/{structure_id}/admins",
    response=responses({201: AppointedOut}, 400, 403, 404, 422),
    summary="Nommer un administrateur (opérateur ; lien de mot de passe si besoin)",
)
def appoint_admin(request: HttpRequest, structure_id: int, payload: AppointIn) -> Any:
    structure = access_structure(api_user(request), structure_id)
    ctx = api_context(request)
    user, created = operations.appoint_admin(ctx, structure, payload.email)
    # As on the console: a person without a password gets a one-time link, shown once.
    link = None if user.has_usable_password() else issue_password_link(ctx, user)
    return Status(201, {**admin_out(user), "created": created, "password_link": link})


@router.delete(
    "/structures/{structure_id}/admins/{user_id}",
    response=responses({204: None}, 403, 404),
    summary="Retirer un administrateur (opérateur)",
)
def remove_admin(request: HttpRequest, structure_id: int, user_id: int) -> Any:
    structure = access_structure(api_user(request), structure_id)
    role = StructureAdmin.objects.filter(structure=structure, user_id=user_id).first()
    if role is None:
        raise NotFound("Administrateur introuvable.")
    operations.remove_admin(api_context(request), structure, role.user)
    return Status(204, None)
