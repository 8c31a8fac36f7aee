"""Coordination API: the records a person may open, their liaison log and documents list.

Same access rules as the pages (caducee/coordination/access.py): an external partner
account reaches only the records where it is an active partner; anything else is 404.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from caducee.api.auth import api_context
from caducee.coordination import access, operations
from caducee.coordination.permissions import LIAISON_READ, LIAISON_WRITE

router = Router(tags=["coordination"])


class RecordOut(Schema):
    id: int
    structure: str
    last_name: str
    first_name: str
    birth_date: date
    city: str


class RecordDetailOut(RecordOut):
    birth_name: str
    address: str
    postal_code: str
    phone: str
    team: list[str]
    permissions: list[str]


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
    size: int
    sha256: str
    added_by: str
    added_at: datetime


def _record_out(record: Any) -> dict[str, Any]:
    return {
        "id": record.pk,
        "structure": record.structure.name,
        "last_name": record.last_name,
        "first_name": record.first_name,
        "birth_date": record.birth_date,
        "city": record.city,
    }


def _entry_out(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "occurred_on": entry.occurred_on,
        "author": entry.author_label,
        "text": entry.text,
        "created_at": entry.created_at,
    }


@router.get("/coordination/records", response=list[RecordOut], summary="Dossiers usagers")
def list_records(request: HttpRequest, q: str = "") -> Any:
    ctx = api_context(request)
    records = list(operations.search_records(ctx, q[:100])[:500])
    operations.read_record_list(ctx, records, "api", q[:100])  # one event, not one per row
    return [_record_out(r) for r in records]


@router.get("/coordination/records/{record_id}", response=RecordDetailOut, summary="Un dossier")
def get_record(request: HttpRequest, record_id: int) -> Any:
    found = access.access_record(request.auth, record_id)  # type: ignore[attr-defined]
    record = found.record
    operations.read_record(api_context(request), record, "api")
    return {
        **_record_out(record),
        "birth_name": record.birth_name,
        "address": record.address,
        "postal_code": record.postal_code,
        "phone": record.phone,
        "team": [u.display_name for u in record.team.all()],
        "permissions": sorted(found.permissions),
    }


@router.get(
    "/coordination/records/{record_id}/liaison",
    response=list[EntryOut],
    summary="Cahier de liaison d'un dossier",
)
def list_entries(request: HttpRequest, record_id: int) -> Any:
    found = access.access_record(request.auth, record_id, LIAISON_READ)  # type: ignore[attr-defined]
    ctx = api_context(request)
    operations.read_record(ctx, found.record, "api:liaison")
    return [_entry_out(e) for e in operations.liaison_entries(ctx, found.record)[:1000]]


@router.post(
    "/coordination/records/{record_id}/liaison",
    response={201: EntryOut},
    summary="Ajouter une entrée au cahier de liaison",
)
def add_entry(request: HttpRequest, record_id: int, payload: EntryIn) -> Any:
    found = access.access_record(request.auth, record_id, LIAISON_WRITE)  # type: ignore[attr-defined]
    entry = operations.add_liaison_entry(
        api_context(request), found.record, payload.text, payload.occurred_on
    )
    return Status(201, _entry_out(entry))


@router.get(
    "/coordination/records/{record_id}/documents",
    response=list[DocumentOut],
    summary="Documents d'un dossier",
)
def list_documents(request: HttpRequest, record_id: int) -> Any:
    found = access.access_record(request.auth, record_id)  # type: ignore[attr-defined]
    operations.read_record(api_context(request), found.record, "api:documents")
    return [
        {
            "id": d.pk,
            "title": d.title,
            "file_name": d.original_name,
            "size": d.size,
            "sha256": d.sha256,
            "added_by": d.uploaded_by_label,
            "added_at": d.uploaded_at,
        }
        for d in found.record.documents.all()
    ]
