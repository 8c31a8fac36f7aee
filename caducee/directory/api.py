"""Directory API: search, MSSanté correspondence, feed report, quotas and exports."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from caducee.accounts.access import access_account
from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.core.web import api_user
from caducee.directory import feed, publication, push_requests, quotas
from caducee.directory.correspondences import correspondences
from caducee.directory.models import PushRequest
from caducee.directory.national import may_search_national
from caducee.directory.national_search import directory_page
from caducee.directory.operations import (
    assign_mssante_address,
    set_dematerialisation,
    set_quota,
    set_red_list,
)
from caducee.exports.api import ExportOut, export_out
from caducee.exports.kinds import PUBLICATION
from caducee.exports.operations import in_background, request_export
from caducee.structures.access import access_structure

router = Router(tags=["annuaire"])

# The publication export answers a FHIR Bundle (JSON) or the pipe extraction (text).
PUBLICATION_CONTENT: dict[str, Any] = {
    "responses": {
        200: {
            "description": "FHIR R4 Bundle (format=fhir) or pipe extraction (format=pipe)",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/plain": {"schema": {"type": "string"}},
            },
        }
    }
}


class DirectoryEntryOut(Schema):
    account_id: int | None  # None: a mailbox of another operator (national directory)
    other_operator: bool
    name: str
    type: str
    email: str
    mssante: str
    structure: str
    fields: dict[str, str]


class SearchOut(Schema):
    total: int
    exact: bool
    page: int
    pages: int
    results: list[DirectoryEntryOut]


class AddressIn(Schema):
    particle: str | None = None


class AddressOut(Schema):
    account_id: int
    mssante: str


class RedListIn(Schema):
    on: bool


class FindingOut(Schema):
    code: str
    criticality: str
    field: str
    message: str


class ReportRowOut(Schema):
    account_id: int
    email: str
    mssante: str
    type: str
    published: bool
    findings: list[FindingOut]


class ReportOut(Schema):
    counts: dict[str, int]
    accounts: list[ReportRowOut]


class QuotaOut(Schema):
    group: str
    label: str
    used: int
    limit: int | None


class QuotaIn(Schema):
    limit: int | None = None


@router.get(
    "/directory",
    response=responses({200: SearchOut}),
    summary="Rechercher dans l'annuaire régional (et national : autres opérateurs)",
)
def search(
    request: HttpRequest, q: str = "", type: str = "", department: str = "", page: int = 1
) -> Any:
    """This platform's accounts and, unless the caller's own mailbox is MED, the other
    operators' mailboxes of the national directory (`other_operator`), in name order."""
    result = directory_page(
        q[:200],
        page=page,
        size=25,
        type=type[:3],
        department=department[:3],
        national=may_search_national(api_user(request)),
    )
    return {
        "total": result.total,
        "exact": result.exact,
        "page": result.number,
        "pages": result.pages,
        "results": [
            {
                "account_id": h.account_id,
                "other_operator": h.other_operator,
                "name": h.name,
                "type": h.type,
                "email": h.email,
                "mssante": h.mssante,
                "structure": h.structure,
                "fields": {key: value for key, _title, value in h.fields},
            }
            for h in result.entries
        ],
    }


@router.put(
    "/accounts/{account_id}/mssante",
    response=responses({200: AddressOut}, 403, 404, 422),
    summary="Créer ou modifier la correspondance MSSanté (particule vide : générée)",
)
def put_address(request: HttpRequest, account_id: int, payload: AddressIn) -> Any:
    account = access_account(api_user(request), account_id)
    address = assign_mssante_address(api_context(request), account, payload.particle)
    return {"account_id": account.pk, "mssante": address}


@router.put(
    "/accounts/{account_id}/red-list",
    response=responses({200: RedListIn}, 403, 404, 422),
    summary="Liste rouge",
)
def put_red_list(request: HttpRequest, account_id: int, payload: RedListIn) -> Any:
    account = access_account(api_user(request), account_id)
    set_red_list(api_context(request), account, payload.on)
    return {"on": payload.on}


@router.put(
    "/accounts/{account_id}/dematerialisation",
    response=responses({200: RedListIn}, 403, 404, 422),
    summary="Zéro papier (dématérialisation publiée avec la boîte)",
)
def put_dematerialisation(request: HttpRequest, account_id: int, payload: RedListIn) -> Any:
    account = access_account(api_user(request), account_id)
    set_dematerialisation(api_context(request), account, payload.on)
    return {"on": payload.on}


class CorrespondenceOut(Schema):
    account_id: int
    email: str
    mssante: str | None
    published: str
    red_list: bool


class CorrespondencesOut(Schema):
    total: int
    truncated: bool
    accounts: list[CorrespondenceOut]


@router.get(
    "/structures/{structure_id}/correspondences",
    response=responses({200: CorrespondencesOut}, 404),
    summary="Correspondances MSSanté d'une structure (2 000 comptes au plus, par adresse mail)",
    description="`avec` : `oui` (les comptes qui ont une adresse MSSanté), `non` (ceux qui "
    "n'en ont pas) ou vide (tous). La liste complète est l'export de publication.",
)
def get_correspondences(request: HttpRequest, structure_id: int, avec: str = "") -> Any:
    structure = access_structure(api_user(request), structure_id)
    found = correspondences(structure, avec)
    rows = [
        {
            "account_id": row.account.pk,
            "email": row.account.email,
            "mssante": row.address,
            "published": row.published,
            "red_list": row.red_list,
        }
        for row in found.rows
    ]
    return {"total": found.total, "truncated": found.truncated, "accounts": rows}


@router.get(
    "/structures/{structure_id}/feed-report",
    response=responses({200: ReportOut}, 404),
    summary="Rapport d'alimentation",
)
def get_report(request: HttpRequest, structure_id: int, criticality: str = "") -> Any:
    structure = access_structure(api_user(request), structure_id)
    rows = feed.report(structure)
    shown = feed.filtered(rows, criticality)
    return {"counts": feed.counts(rows), "accounts": [report_row(r) for r in shown]}


def report_row(row: feed.AccountReport) -> dict[str, Any]:
    return {
        "account_id": row.account.pk,
        "email": row.account.email,
        "mssante": row.record.address,
        "type": row.record.bal_type,
        "published": not row.blocked,
        "findings": [
            {"code": f.code, "criticality": f.criticality, "field": f.field, "message": f.message}
            for f in row.findings
        ],
    }


@router.get(
    "/structures/{structure_id}/quotas",
    response=responses({200: list[QuotaOut]}, 404),
    summary="Quotas",
)
def get_quotas(request: HttpRequest, structure_id: int) -> Any:
    structure = access_structure(api_user(request), structure_id)
    return [
        {"group": u.group, "label": u.label, "used": u.used, "limit": u.limit}
        for u in quotas.usage(structure)
    ]


@router.put(
    "/structures/{structure_id}/quotas/{group}",
    response=responses({200: list[QuotaOut]}, 403, 404, 422),
    summary="Fixer un quota (opérateur ; limite vide : illimité)",
)
def put_quota(request: HttpRequest, structure_id: int, group: str, payload: QuotaIn) -> Any:
    structure = access_structure(api_user(request), structure_id)
    set_quota(api_context(request), structure, group, payload.limit)
    return get_quotas(request, structure_id)


@router.get(
    "/structures/{structure_id}/publication",
    summary="Export de publication nationale (format=fhir ou pipe)",
    response=responses({200: Any, 202: ExportOut}, 403, 404, 422),
    openapi_extra=PUBLICATION_CONTENT,
)
def get_publication(request: HttpRequest, structure_id: int, format: str = "fhir") -> Any:
    structure = access_structure(api_user(request), structure_id)
    if format in PUBLICATION.formats and in_background(PUBLICATION, structure):
        ctx = api_context(request)  # a long export: follow it at /exports/{id}
        return Status(202, export_out(request_export(ctx, structure, PUBLICATION.name, format)))
    text = publication.export(api_context(request), structure, format)
    if format == "fhir":
        return json.loads(text)
    return HttpResponse(text.encode(), content_type="text/plain; charset=utf-8")


class PushRequestOut(Schema):
    id: int
    state: str
    state_label: str
    requested_by: str
    created_at: str
    finished_at: str | None
    attempts: int
    http_status: int
    inserted: int
    replaced: int
    deleted: int
    error: str


def push_request_out(request: PushRequest) -> dict[str, Any]:
    return {
        "id": request.pk,
        "state": request.state,
        "state_label": request.get_state_display(),
        "requested_by": request.requested_label,
        "created_at": request.created_at.isoformat(),
        "finished_at": request.finished_at.isoformat() if request.finished_at else None,
        "attempts": request.attempts,
        "http_status": request.http_status,
        "inserted": request.inserted,
        "replaced": request.replaced,
        "deleted": request.deleted,
        "error": request.error,
    }


@router.post(
    "/structures/{structure_id}/directory-push",
    response=responses({202: PushRequestOut}, 403, 404, 422),
    summary="Demander la publication dans l'annuaire national (tâche en arrière-plan)",
)
def post_push(request: HttpRequest, structure_id: int) -> Any:
    structure = access_structure(api_user(request), structure_id)
    push, _created = push_requests.request_push(api_context(request), structure)
    return Status(202, push_request_out(push))


@router.get(
    "/structures/{structure_id}/directory-push",
    response=responses({200: list[PushRequestOut]}, 404),
    summary="Dernières publications demandées, avec leur état et leur résultat",
)
def get_pushes(request: HttpRequest, structure_id: int) -> Any:
    structure = access_structure(api_user(request), structure_id)
    return [push_request_out(r) for r in push_requests.recent(structure)]
