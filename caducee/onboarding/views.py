"""Pages of the « Demande de raccordement »: the public form and its acknowledgement, and
the service centre's queue in the console (operator only, 404 for anyone else).

Thin adapters: parse, call `onboarding.operations`, render.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caducee.console.decorators import console_view
from caducee.console.pagination import seek_page
from caducee.core.errors import Invalid
from caducee.core.web import anonymous_context, web_context
from caducee.onboarding import operations
from caducee.onboarding import queue as queue_info
from caducee.onboarding.access import access_request
from caducee.onboarding.forms import (
    AnswerForm,
    ConnectionRequestForm,
    QueueFilterForm,
    StructureFromRequestForm,
)
from caducee.onboarding.models import ConnectionRequest, RequestState
from caducee.onboarding.operations import LABELS, RequestInput, TooManyRequests

PAGE_SIZE = 50

# --- public ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    """« Demande de raccordement »: anyone, logged in or not."""
    form = ConnectionRequestForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = RequestInput(**form.cleaned_data)
        ctx = (
            web_context(request)
            if request.user.is_authenticated
            else anonymous_context(request, data.email.strip()[:200])
        )
        try:
            operations.submit_connection_request(ctx, data)
        except Invalid as exc:
            form.add_problems(exc.problems)
            error = exc.message
        except TooManyRequests as exc:
            error = exc.message
        else:
            return redirect("onboarding:request_sent")
    elif request.method == "POST":
        error = "La demande n'a pas été envoyée : corrigez les champs signalés."
    return render(request, "onboarding/request.html", {"form": form, "error": error})


@require_GET
def request_sent(request: HttpRequest) -> HttpResponse:
    """The same acknowledgement whatever the request was (nothing about it is shown)."""
    return render(request, "onboarding/request_sent.html")


# --- service centre (console) ----------------------------------------------------------------


@console_view
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """« Demandes de raccordement »: the queue, filtered by state and age (operator)."""
    ctx = web_context(request)
    data = request.GET.copy()
    if "etat" not in data:
        data["etat"] = queue_info.OPEN  # the requests still waiting, by default
    filters = QueueFilterForm(data)
    state, hours = queue_info.OPEN, None
    if filters.is_valid():
        state, hours = filters.cleaned_data["etat"], filters.cleaned_data["anciennete"]
    rows = operations.list_connection_requests(ctx, state=state, older_than_hours=hours)
    page = seek_page(
        rows,
        "pk",
        after=request.GET.get("apres", ""),
        before=request.GET.get("avant", ""),
        size=PAGE_SIZE,
        convert=int,
    )
    overdue = queue_info.overdue_before()
    items = [
        (row, row.state in RequestState.open() and row.created_at < overdue) for row in page.items
    ]
    return render(
        request,
        "onboarding/queue.html",
        {
            "filters": filters,
            "page": page,
            "items": items,
            "state": state,
            "hours": "" if hours is None else hours,
            "overdue_hours": queue_info.overdue_hours(),
        },
    )


def _detail(
    request: HttpRequest,
    found: ConnectionRequest,
    answer: AnswerForm | None = None,
    structure_form: StructureFromRequestForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    rows = [(LABELS[name], value) for name, value in _typed(found)]
    return render(
        request,
        "onboarding/detail.html",
        {
            "req": found,
            "rows": rows,
            "is_open": found.state in RequestState.open(),
            "overdue": queue_info.is_overdue(found),
            "overdue_hours": queue_info.overdue_hours(),
            "existing": queue_info.existing_structures(found),
            "answer_form": answer or AnswerForm(),
            "structure_form": structure_form or StructureFromRequestForm(),
            "error": error,
        },
        status=status,
    )


def _typed(found: ConnectionRequest) -> list[tuple[str, str]]:
    """Everything the requester typed, as shown to the service centre."""
    return [
        ("structure_name", found.structure_name),
        ("id_type", found.get_id_type_display()),
        ("id_number", found.id_number),
        ("address", found.address),
        ("postal_code", found.postal_code),
        ("city", found.city),
        ("department", found.department_label),
        ("region", found.region_label),
        ("last_name", found.last_name),
        ("first_name", found.first_name),
        ("function", found.function),
        ("email", found.email),
        ("phone", found.phone),
        ("expected_users", str(found.expected_users)),
        ("message", found.message),
    ]


@console_view
@require_GET
def detail(request: HttpRequest, request_id: int) -> HttpResponse:
    return _detail(request, access_request(web_context(request), request_id))


@console_view
@require_POST
def take(request: HttpRequest, request_id: int) -> HttpResponse:
    ctx = web_context(request)
    found = access_request(ctx, request_id)
    try:
        operations.take_connection_request(ctx, found)
    except Invalid as exc:
        return _detail(request, found, error=exc.message, status=400)
    messages.success(request, "Vous avez pris la demande en charge.")
    return redirect("onboarding:detail", found.pk)


@console_view
@require_POST
def answer(request: HttpRequest, request_id: int) -> HttpResponse:
    ctx = web_context(request)
    found = access_request(ctx, request_id)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _detail(request, found, answer=form, status=400)
    accept = form.cleaned_data["decision"] == "accepter"
    try:
        operations.answer_connection_request(
            ctx, found, accept=accept, message=form.cleaned_data["message"]
        )
    except Invalid as exc:
        for problem in exc.errors():
            form.add_error("message" if problem.field == "message" else None, problem.message)
        return _detail(request, found, answer=form, error=exc.message, status=400)
    verb = "acceptée" if accept else "refusée"
    messages.success(request, f"Demande {verb} : la réponse est envoyée à {found.email}.")
    return redirect("onboarding:detail", found.pk)


@console_view
@require_POST
def create_structure(request: HttpRequest, request_id: int) -> HttpResponse:
    ctx = web_context(request)
    found = access_request(ctx, request_id)
    form = StructureFromRequestForm(request.POST)
    form.is_valid()
    try:
        structure = operations.create_structure_from_request(
            ctx, found, domain=form.cleaned_data.get("domain", "")
        )
    except Invalid as exc:
        for problem in exc.errors():
            form.add_error("domain" if problem.field == "domain" else None, problem.message)
        return _detail(request, found, structure_form=form, error=exc.message, status=400)
    messages.success(request, f"La structure « {structure.name} » a été créée.")
    return redirect("onboarding:detail", found.pk)
