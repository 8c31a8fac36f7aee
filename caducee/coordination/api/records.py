"""Records (« dossiers usagers »), their liaison log and their documents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Schema, Status
from ninja.files import UploadedFile

from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.coordination import access, operations
from caducee.coordination.api.common import (
    page_of,
    paging,
    person,
    router,
    structure,
    too_large,
)
from caducee.coordination.models import LiaisonEntry, Record, RecordDocument
from caducee.coordination.permissions import LIAISON_READ, LIAISON_WRITE
from caducee.core.errors import Invalid
from caducee.core.web import attachment

RECORDS_PAGE = 500
ENTRIES_PAGE = 1000
DOCUMENTS_PAGE = 500


class RecordOut(Schema):
    id: int
    structure: str
    last_name: str
    first_name: str
    birth_date: date
    city: str


class RecordDetailOut(RecordOut):
    structure_id: int
    birth_name: str
    address: str
    postal_code: str
    phone: str
    notes: str
    team: list[str]
    team_ids: list[int]
    permissions: list[str]


class RecordFields(Schema):
    """The record form of the console; dates as JJ/MM/AAAA or AAAA-MM-JJ."""

    last_name: str
    first_name: str
    birth_date: str
    birth_name: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""
    phone: str = ""
    notes: str = ""
    team: list[int] = []  # noqa: RUF012 - a pydantic field: each instance gets a copy


class RecordIn(RecordFields):
    structure_id: int


class EntryOut(Schema):
    id: int
    occurred_on: date
    author: str
    text: str
    created_at: datetime


class EntryIn(Schema):
    text: str
    occurred_on: str = ""


class DocumentOut(Schema):
    id: int
    title: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    added_by: str
    added_at: datetime


def record_input(payload: RecordFields) -> operations.RecordInput:
    return operations.RecordInput(
        last_name=payload.last_name,
        first_name=payload.first_name,
        birth_date=payload.birth_date,
        birth_name=payload.birth_name,
        address=payload.address,
        postal_code=payload.postal_code,
        city=payload.city,
        phone=payload.phone,
        notes=payload.notes,
        team=list(payload.team),
    )


def record_out(record: Record) -> dict[str, Any]:
    return {
        "id": record.pk,
        "structure": record.structure.name,
        "last_name": record.last_name,
        "first_name": record.first_name,
        "birth_date": record.birth_date,
        "city": record.city,
    }


def record_detail_out(record: Record, permissions: frozenset[str]) -> dict[str, Any]:
    team = list(record.team.order_by("last_name", "first_name", "email"))
    return {
        **record_out(record),
        "structure_id": record.structure_id,
        "birth_name": record.birth_name,
        "address": record.address,
        "postal_code": record.postal_code,
        "phone": record.phone,
        "notes": record.notes,
        "team": [u.display_name for u in team],
        "team_ids": [u.pk for u in team],
        "permissions": sorted(permissions),
    }


def entry_out(entry: LiaisonEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "occurred_on": entry.occurred_on,
        "author": entry.author_label,
        "text": entry.text,
        "created_at": entry.created_at,
    }


def document_out(document: RecordDocument) -> dict[str, Any]:
    return {
        "id": document.pk,
        "title": document.title,
        "file_name": document.original_name,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "added_by": document.uploaded_by_label,
        "added_at": document.uploaded_at,
    }


@router.get(
    "/coordination/records",
    response=responses({200: list[RecordOut]}, 422),
    summary="Dossiers usagers",
    description="Les dossiers que la personne peut ouvrir, filtrés par `q` (nom, prénom, "
    "nom de naissance ou date de naissance). " + paging(RECORDS_PAGE),
)
def list_records(request: HttpRequest, q: str = "", page: int = 1) -> Any:
    ctx = api_context(request)
    query = q[:100]
    records = page_of(operations.search_records(ctx, query), page, RECORDS_PAGE)
    operations.read_record_list(ctx, records, "api", query)  # one event, not one per row
    return [record_out(r) for r in records]


@router.post(
    "/coordination/records",
    response=responses({201: RecordDetailOut}, 403, 404, 422),
    summary="Créer un dossier usager",
    description="Droit « Créer et modifier les dossiers usagers » dans la structure.",
)
def create_record(request: HttpRequest, payload: RecordIn) -> Any:
    ctx = api_context(request)
    record = operations.create_record(ctx, structure(payload.structure_id), record_input(payload))
    return Status(201, record_detail_out(record, access.permissions_on(person(request), record)))


@router.get(
    "/coordination/records/{record_id}",
    response=responses({200: RecordDetailOut}, 404),
    summary="Un dossier",
)
def get_record(request: HttpRequest, record_id: int) -> Any:
    found = access.access_record(person(request), record_id)
    operations.read_record(api_context(request), found.record, "api")
    return record_detail_out(found.record, found.permissions)


@router.put(
    "/coordination/records/{record_id}",
    response=responses({200: RecordDetailOut}, 403, 404, 422),
    summary="Modifier un dossier",
    description="Remplace l'identité et l'équipe de suivi (tous les champs, comme le "
    "formulaire de la console). Droit « Créer et modifier les dossiers usagers ».",
)
def update_record(request: HttpRequest, record_id: int, payload: RecordFields) -> Any:
    found = access.access_record(person(request), record_id)
    record = operations.update_record(api_context(request), found.record, record_input(payload))
    return record_detail_out(record, found.permissions)


@router.get(
    "/coordination/records/{record_id}/liaison",
    response=responses({200: list[EntryOut]}, 403, 404, 422),
    summary="Cahier de liaison d'un dossier",
    description="Les entrées, la plus récente d'abord. " + paging(ENTRIES_PAGE),
)
def list_entries(request: HttpRequest, record_id: int, page: int = 1) -> Any:
    found = access.access_record(person(request), record_id, LIAISON_READ)
    ctx = api_context(request)
    operations.read_record(ctx, found.record, "api:liaison")
    entries = page_of(operations.liaison_entries(ctx, found.record), page, ENTRIES_PAGE)
    return [entry_out(e) for e in entries]


@router.post(
    "/coordination/records/{record_id}/liaison",
    response=responses({201: EntryOut}, 403, 404, 422),
    summary="Ajouter une entrée au cahier de liaison",
)
def add_entry(request: HttpRequest, record_id: int, payload: EntryIn) -> Any:
    found = access.access_record(person(request), record_id, LIAISON_WRITE)
    entry = operations.add_liaison_entry(
        api_context(request), found.record, payload.text, payload.occurred_on
    )
    return Status(201, entry_out(entry))


@router.get(
    "/coordination/records/{record_id}/documents",
    response=responses({200: list[DocumentOut]}, 404, 422),
    summary="Documents d'un dossier",
    description=paging(DOCUMENTS_PAGE),
)
def list_documents(request: HttpRequest, record_id: int, page: int = 1) -> Any:
    found = access.access_record(person(request), record_id)
    operations.read_record(api_context(request), found.record, "api:documents")
    return [document_out(d) for d in page_of(found.record.documents.all(), page, DOCUMENTS_PAGE)]


@router.post(
    "/coordination/records/{record_id}/documents",
    response=responses({201: DocumentOut}, 403, 404, 413, 422),
    summary="Ajouter un document à un dossier (multipart/form-data)",
    description="Champs `file` (le fichier) et `title` (facultatif : le nom du fichier). "
    "Droit « Ajouter des documents ». Au-delà de CADUCEE_COORDINATION_MAX_UPLOAD_MB "
    "(20 Mo par défaut) : 413, et rien n'est enregistré.",
)
def add_document(
    request: HttpRequest, record_id: int, file: File[UploadedFile], title: Form[str] = ""
) -> Any:
    found = access.access_record(person(request), record_id)
    try:
        document = operations.attach_document(
            api_context(request),
            found.record,
            title,
            file.name or "document",
            file,
            file.content_type or "application/octet-stream",
        )
    except Invalid as exc:
        if too_large(exc):
            return Status(413, {"detail": exc.problems[0].message})
        raise
    return Status(201, document_out(document))


@router.get(
    "/coordination/records/{record_id}/documents/{document_id}",
    response=responses({200: None}, 404),
    summary="Télécharger un document",
)
def get_document(request: HttpRequest, record_id: int, document_id: int) -> Any:
    document = access.access_document(person(request), record_id, document_id)
    handle = operations.open_document(api_context(request), document)
    return attachment(handle, document.original_name, document.content_type)
