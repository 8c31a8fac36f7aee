"""Web adapters: the regional directory, MSSanté correspondences, feed report and quotas."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from caducee.accounts.access import access_account
from caducee.accounts.models import Account, AccountType
from caducee.core.errors import Invalid, NotFound, OperationError
from caducee.core.web import guarded, person, web_context
from caducee.directory import feed, publication, push_requests, quotas
from caducee.directory.addresses import may_have_address, mssante_address
from caducee.directory.correspondences import correspondences as correspondence_list
from caducee.directory.entries import DIRECTORY_FIELDS, is_listed, listing_of
from caducee.directory.models import MailboxListing, QuotaGroup
from caducee.directory.national import may_search_national
from caducee.directory.national_search import OTHER_OPERATOR, directory_page, suggestions
from caducee.directory.operations import (
    assign_mssante_address,
    remove_mssante_address,
    set_dematerialisation,
    set_quotas,
    set_red_list,
)
from caducee.exports.kinds import PUBLICATION
from caducee.exports.operations import in_background, request_export
from caducee.identity.mailboxes import own_account
from caducee.referentials import lists
from caducee.structures.access import access_structure

TYPES = [(t.value, t.label) for t in AccountType]


def _int(value: str | None, default: int = 1) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """The regional directory, with the other operators' mailboxes of the national
    directory for those who may see them (`may_search_national`)."""
    query = request.GET.get("q", "")[:200]
    kind = request.GET.get("type", "")
    kind = kind if kind in AccountType.values else ""
    department = request.GET.get("departement", "")
    department = department if lists.departments().get(department) else ""
    national = may_search_national(person(request))
    page = directory_page(
        query,
        page=_int(request.GET.get("page")),
        size=settings.DIRECTORY_PAGE_SIZE,
        type=kind,
        department=department,
        national=national,
    )
    context = {
        "q": query,
        "type": kind,
        "departement": department,
        "page": page,
        "national": national,
        "types": TYPES,
        "departments": lists.departments().choices(),
        "columns": [spec.title for spec in DIRECTORY_FIELDS],
    }
    template = (
        "directory/_results.html" if request.headers.get("HX-Request") else "directory/search.html"
    )
    return render(request, template, context)


@login_required
@require_GET
def autocomplete(request: HttpRequest) -> HttpResponse:
    """JSON for scripts (the webmail's compose form); an HTML list of suggestions for htmx
    (`HX-Request`). Other operators' mailboxes are marked « autre opérateur »."""
    hits = suggestions(request.GET.get("q", ""), national=may_search_national(person(request)))
    results = [
        {
            "name": h.name,
            "email": h.email,
            "mssante": h.mssante,
            "type": h.type,
            "structure": h.structure,
            "other_operator": h.other_operator,
            "label": f"{h.name} <{h.address}>"
            + (f" — {OTHER_OPERATOR}" if h.other_operator else ""),
        }
        for h in hits
    ]
    if request.headers.get("HX-Request"):
        return render(request, "directory/_autocomplete.html", {"results": results})
    return JsonResponse({"results": results})


@guarded()
@require_http_methods(["GET", "POST"])
def my_listing(request: HttpRequest) -> HttpResponse:
    """A person's own choice: stay in the directory or ask for the liste rouge."""
    account = own_account(person(request))
    if account is None:
        return render(request, "directory/my_listing.html", {"account": None})
    if request.method == "POST":
        set_red_list(web_context(request), account, request.POST.get("red_list") == "on")
        messages.success(request, "Votre choix a été enregistré.")
        return redirect("directory:my_listing")
    listing = listing_of(account)
    return render(
        request,
        "directory/my_listing.html",
        {"account": account, "red_list": bool(listing and listing.red_list)},
    )


def console_structure_url(structure_id: int) -> str:
    """The console's page of the structure (the directory pages' « back » link)."""
    return reverse("console:structure", args=[structure_id])


def account_edit_url(account: Account) -> str:
    """The console's edit page of an account."""
    return reverse("console:account", args=[account.structure_id, account.pk])


@guarded()
@require_http_methods(["GET", "POST"])
def address(request: HttpRequest, structure_id: int, account_id: int) -> HttpResponse:
    """Create, change or remove the MSSanté correspondence of one account."""
    user = person(request)
    structure = access_structure(user, structure_id)
    account = access_account(user, account_id, structure)
    error: Invalid | None = None
    if request.method == "POST":
        ctx = web_context(request)
        action = request.POST.get("action", "assign")
        try:
            if action == "remove":
                remove_mssante_address(ctx, account)
                messages.success(request, "Correspondance MSSanté supprimée.")
            elif action == "options":
                set_red_list(ctx, account, request.POST.get("red_list") == "on")
                set_dematerialisation(ctx, account, request.POST.get("dematerialisation") == "on")
                messages.success(request, "Options de publication enregistrées.")
            else:
                particle = request.POST.get("particle", "").strip() or None
                new = assign_mssante_address(ctx, account, particle)
                messages.success(request, f"Adresse MSSanté : {new}")
            return redirect("directory:address", structure.pk, account.pk)
        except Invalid as exc:
            error = exc
    listing = listing_of(account)
    return render(
        request,
        "directory/address.html",
        {
            "structure": structure,
            "console_url": console_structure_url(structure.pk),
            "account": account,
            "address": mssante_address(account),
            "eligible": may_have_address(account),
            "listing": listing,
            "red_list": bool(listing and listing.red_list),
            "dematerialisation": listing.dematerialisation if listing else True,
            "listed": is_listed(account),
            "error": error,
            "particle": request.POST.get("particle", "") if error else "",
            "edit_url": account_edit_url(account),
            "active": "correspondences",
        },
        status=422 if error else 200,
    )


@guarded()
@require_GET
def correspondences(request: HttpRequest, structure_id: int) -> HttpResponse:
    structure = access_structure(person(request), structure_id)
    only = request.GET.get("avec", "")
    found = correspondence_list(structure, only)
    return render(
        request,
        "directory/correspondences.html",
        {
            "structure": structure,
            "console_url": console_structure_url(structure.pk),
            "rows": found.rows,
            "total": found.total,
            "truncated": found.truncated,
            "avec": only,
            "active": "correspondences",
        },
    )


@guarded()
@require_http_methods(["GET", "POST"])
def quota_page(request: HttpRequest, structure_id: int) -> HttpResponse:
    """« Informations MSSanté »: the quota table; the operator edits the limits."""
    user = person(request)
    structure = access_structure(user, structure_id)
    errors: list[str] = []
    if request.method == "POST":
        limits: dict[str, int | None] = {}
        for group in QuotaGroup:
            raw = request.POST.get(f"limit_{group.value}", "").strip()
            if raw and not raw.isdigit():
                errors.append(f"« {group.label} » : saisissez un nombre entier ou laissez vide.")
            else:
                limits[group.value] = int(raw) if raw else None
        if not errors:  # all or nothing: one wrong field saves none of them
            try:
                set_quotas(web_context(request), structure, limits)
            except Invalid as exc:
                errors = [p.message for p in exc.problems] or [exc.message]
            except OperationError as exc:  # Forbidden: an admin, not the operator
                errors = [exc.message]
        if not errors:
            messages.success(request, "Quotas enregistrés.")
            return redirect("directory:quotas", structure.pk)
    return render(
        request,
        "directory/quotas.html",
        {
            "structure": structure,
            "console_url": console_structure_url(structure.pk),
            "rows": quotas.usage(structure),
            "errors": errors,
            "can_edit": user.is_operator,
            "active": "mssante_info",
        },
        status=422 if errors else 200,
    )


@guarded()
@require_GET
def report(request: HttpRequest, structure_id: int) -> HttpResponse:
    structure = access_structure(person(request), structure_id)
    rows = feed.report(structure)
    totals = feed.counts(rows)
    criticality = request.GET.get("criticite", "")
    criticality = criticality if criticality in (feed.BLOCKING, feed.NON_BLOCKING) else ""
    code = request.GET.get("code", "")[:40]
    shown = feed.filtered(rows, criticality, code)
    if request.GET.get("format") == "csv":
        response = HttpResponse(feed.to_csv(shown), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="rapport-alimentation-{structure.pk}.csv"'
        )
        return response
    codes = sorted({f.code for row in rows for f in row.findings})
    return render(
        request,
        "directory/report.html",
        {
            "structure": structure,
            "console_url": console_structure_url(structure.pk),
            "rows": [(row, account_edit_url(row.account)) for row in shown],
            "totals": totals,
            "blocking_count": totals[feed.BLOCKING],
            "non_blocking_count": totals[feed.NON_BLOCKING],
            "criticite": criticality,
            "code": code,
            "codes": codes,
            "BLOCKING": feed.BLOCKING,
            "NON_BLOCKING": feed.NON_BLOCKING,
            "active": "feed_report",
        },
    )


@guarded()
@require_GET
def export(request: HttpRequest, structure_id: int, fmt: str) -> HttpResponse:
    structure = access_structure(person(request), structure_id)
    if fmt not in ("fhir", "pipe"):
        raise NotFound("Format inconnu : fhir ou pipe.")
    if in_background(PUBLICATION, structure):  # a long export: a task, then « Mes exports »
        request_export(web_context(request), structure, PUBLICATION.name, fmt)
        messages.info(
            request,
            "L'export est volumineux : il est préparé en arrière-plan. Téléchargez-le ici "
            "dès qu'il est prêt.",
        )
        return redirect("exports:mine")
    text = publication.export(web_context(request), structure, fmt)
    kind = "application/fhir+json" if fmt == "fhir" else "text/plain"
    extension = "json" if fmt == "fhir" else "txt"
    response = HttpResponse(text.encode(), content_type=f"{kind}; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="publication-{structure.pk}.{extension}"'
    )
    return response


@guarded()
@require_http_methods(["GET", "POST"])
def push_page(request: HttpRequest, structure_id: int) -> HttpResponse:
    """« Publication nationale »: what would be sent, a button that queues the push (a
    background task), and the recent pushes with their state and result."""
    structure = access_structure(person(request), structure_id)
    error = ""
    if request.method == "POST":
        try:
            _request, created = push_requests.request_push(web_context(request), structure)
        except OperationError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                "Publication mise en file d'attente : son résultat s'affiche ci-dessous."
                if created
                else "Une publication est déjà en attente : elle enverra tous les changements.",
            )
            return redirect("directory:push", structure.pk)
    requests = push_requests.recent(structure)
    context = {
        "structure": structure,
        "requests": requests,
        "pending": any(r.pending for r in requests),
    }
    if request.headers.get("HX-Request"):
        return render(request, "directory/_push_requests.html", context)
    todo = publication.plan(structure)
    last = MailboxListing.objects.filter(account__structure=structure).aggregate(
        last=Max("published_at")
    )["last"]
    return render(
        request,
        "directory/push.html",
        context
        | {
            "console_url": console_structure_url(structure.pk),
            "configured": bool(settings.DIRECTORY_PUSH_URL),
            "todo": todo,
            "last_published": last,
            "error": error,
            "active": "push",
        },
        status=422 if error else 200,
    )
