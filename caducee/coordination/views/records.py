"""Dossiers usagers: list and search, create, identity, liaison log, documents."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from caducee.coordination import access, operations
from caducee.coordination.models import Record
from caducee.coordination.permissions import (
    DOCUMENT_ADD,
    LIAISON_READ,
    LIAISON_WRITE,
    PARTNER_MANAGE,
    RECORD_CREATE,
)
from caducee.coordination.views.common import coordination_view, internal_only, menu, pick_structure
from caducee.core.errors import Invalid, Problem
from caducee.core.web import attachment, person, web_context

PAGE_SIZE = 50
FEW_RECORDS = 3_000  # see _records_page
RECORD_FIELDS = (
    "last_name",
    "birth_name",
    "first_name",
    "birth_date",
    "address",
    "postal_code",
    "city",
    "phone",
    "notes",
)


def _tabs(access_: access.RecordAccess, active: str) -> list[tuple[str, str, str]]:
    """The record's tabs this person may open: (key, url name, label)."""
    tabs = [("identity", "coordination:record", "Identité")]
    if access_.can(LIAISON_READ):
        tabs.append(("liaison", "coordination:liaison", "Cahier de liaison"))
    tabs.append(("documents", "coordination:documents", "Documents"))
    if access_.external is None:
        tabs.append(("partners", "coordination:partners", "Partenaires"))
    return tabs


def record_context(request: HttpRequest, access_: access.RecordAccess, tab: str) -> dict[str, Any]:
    return {
        **menu(request, "records"),
        "record": access_.record,
        "tabs": _tabs(access_, tab),
        "tab": tab,
        "can_edit": access_.can(RECORD_CREATE),
        "can_manage_partners": access_.can(PARTNER_MANAGE),
    }


def _records_page(records: QuerySet[Record], number: str | None) -> tuple[Page[Any], list[Record]]:
    """One page of records and its paginator, in two queries when they are few.

    Up to FEW_RECORDS (an external partner's shared records: a few thousand among
    millions), their ids are read once in order — that read is the count — and the page's
    rows are fetched by id: each record is reached once instead of twice (COUNT, then
    ORDER BY … OFFSET). More (a structure's whole list): COUNT and OFFSET as usual.
    """
    ids = list(records.values_list("pk", flat=True)[: FEW_RECORDS + 1])
    if len(ids) > FEW_RECORDS:
        full = Paginator(records, PAGE_SIZE).get_page(number)
        return full, list(full.object_list)
    page = Paginator(ids, PAGE_SIZE).get_page(number)
    # Ids this person was allowed a moment ago, in this request: fetched by id alone.
    found = Record.objects.select_related("structure").in_bulk(list(page.object_list))
    return page, [found[pk] for pk in page.object_list if pk in found]


@coordination_view
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """« Dossiers usagers »: the records this person may open, with a search box."""
    user = person(request)
    query = request.GET.get("q", "").strip()[:100]
    page, records = _records_page(
        operations.search_records(web_context(request), query), request.GET.get("page")
    )
    operations.read_record_list(web_context(request), records, f"home:{page.number}", query)
    creatable = access.structures_with(user, RECORD_CREATE)
    return render(
        request,
        "coordination/home.html",
        {
            **menu(request, "records"),
            "records": records,
            "page": page,
            "query": query,
            "can_create": bool(creatable),
            "show_structure": len({r.structure_id for r in records}) > 1,
            "invitations": operations.pending_invitations(user),
        },
    )


def _record_input(request: HttpRequest) -> operations.RecordInput:
    team = [int(v) for v in request.POST.getlist("team") if v.isdigit()]
    return operations.RecordInput(
        **{key: request.POST.get(key, "") for key in RECORD_FIELDS},
        team=team,
    )


@internal_only
@require_http_methods(["GET", "POST"])
def record_create(request: HttpRequest) -> HttpResponse:
    structures = access.structures_with(person(request), RECORD_CREATE)
    structure = pick_structure(request, structures)
    problems: list[Problem] = []
    form: dict[str, Any] = {key: request.POST.get(key, "") for key in RECORD_FIELDS}
    chosen_team: list[int] = []
    if request.method == "POST":
        data = _record_input(request)
        chosen_team = data.team
        try:
            record = operations.create_record(web_context(request), structure, data)
        except Invalid as exc:
            problems = exc.problems
        else:
            messages.success(request, f"Dossier de {record.display_name} créé.")
            return redirect("coordination:record", record_id=record.pk)
    return render(
        request,
        "coordination/record_form.html",
        {
            **menu(request, "records"),
            "structures": structures,
            "structure": structure,
            "form": form,
            "problems": problems,
            "team_choices": operations.team_candidates(structure),
            "chosen_team": chosen_team,
            "title": "Nouveau dossier usager",
        },
    )


@internal_only
@require_http_methods(["GET", "POST"])
def record_edit(request: HttpRequest, record_id: int) -> HttpResponse:
    found = access.access_record(person(request), record_id, RECORD_CREATE)
    record = found.record
    problems: list[Problem] = []
    if request.method == "POST":
        form: dict[str, Any] = {key: request.POST.get(key, "") for key in RECORD_FIELDS}
        data = _record_input(request)
        chosen_team = data.team
        try:
            operations.update_record(web_context(request), record, data)
        except Invalid as exc:
            problems = exc.problems
        else:
            messages.success(request, "Dossier enregistré.")
            return redirect("coordination:record", record_id=record.pk)
    else:
        operations.read_record(web_context(request), record, "edit")
        form = {key: getattr(record, key) or "" for key in RECORD_FIELDS}
        form["birth_date"] = record.birth_date.strftime("%d/%m/%Y")
        chosen_team = list(record.team.values_list("pk", flat=True))
    return render(
        request,
        "coordination/record_form.html",
        {
            **record_context(request, found, "identity"),
            "structure": record.structure,
            "structures": [record.structure],
            "form": form,
            "problems": problems,
            "team_choices": operations.team_candidates(record.structure),
            "chosen_team": chosen_team,
            "title": f"Modifier le dossier de {record.display_name}",
        },
    )


@coordination_view
@require_GET
def record_detail(request: HttpRequest, record_id: int) -> HttpResponse:
    found = access.access_record(person(request), record_id)
    operations.read_record(web_context(request), found.record, "identity")
    return render(
        request,
        "coordination/record_identity.html",
        {
            **record_context(request, found, "identity"),
            "team": found.record.team.order_by("last_name", "first_name"),
        },
    )


@coordination_view
@require_http_methods(["GET", "POST"])
def liaison(request: HttpRequest, record_id: int) -> HttpResponse:
    """« Cahier de liaison »: dated entries, newest first; a form to add one."""
    found = access.access_record(person(request), record_id, LIAISON_READ)
    record = found.record
    problems: list[Problem] = []
    form = {"text": "", "occurred_on": ""}
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in form}
        try:
            operations.add_liaison_entry(
                web_context(request), record, form["text"], form["occurred_on"]
            )
        except Invalid as exc:
            problems = exc.problems
        else:
            messages.success(request, "Entrée ajoutée au cahier de liaison.")
            return redirect("coordination:liaison", record_id=record.pk)
    else:
        operations.read_record(web_context(request), record, "liaison")
    return render(
        request,
        "coordination/record_liaison.html",
        {
            **record_context(request, found, "liaison"),
            "entries": operations.liaison_entries(web_context(request), record),
            "can_write": found.can(LIAISON_WRITE),
            "form": form,
            "problems": problems,
        },
    )


@coordination_view
@require_http_methods(["GET", "POST"])
def documents(request: HttpRequest, record_id: int) -> HttpResponse:
    found = access.access_record(person(request), record_id)
    record = found.record
    problems: list[Problem] = []
    if request.method == "POST":
        access.access_record(person(request), record_id, DOCUMENT_ADD)
        upload = request.FILES.get("file")
        if upload is None:
            problems = [Problem("file", "required", "Choisissez un fichier à ajouter.")]
        else:
            try:
                operations.attach_document(
                    web_context(request),
                    record,
                    request.POST.get("title", ""),
                    upload.name or "document",
                    upload,
                    upload.content_type or "application/octet-stream",
                )
            except Invalid as exc:
                problems = exc.problems
            else:
                messages.success(request, "Document ajouté.")
                return redirect("coordination:documents", record_id=record.pk)
    else:
        operations.read_record(web_context(request), record, "documents")
    return render(
        request,
        "coordination/record_documents.html",
        {
            **record_context(request, found, "documents"),
            "documents": record.documents.all(),
            "can_add": found.can(DOCUMENT_ADD),
            "max_mb": operations.max_upload_bytes() // (1024 * 1024),
            "problems": problems,
        },
        status=422 if problems else 200,
    )


@coordination_view
@require_GET
def document_download(request: HttpRequest, record_id: int, document_id: int) -> FileResponse:
    document = access.access_document(person(request), record_id, document_id)
    handle = operations.open_document(web_context(request), document)
    return attachment(handle, document.original_name, document.content_type)
