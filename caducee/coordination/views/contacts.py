"""« Annuaire »: the structure's coordination contacts, and the regional directory entries."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caducee.coordination import access, operations
from caducee.coordination.models import Contact
from caducee.coordination.permissions import CONTACT_MANAGE, RECORD_READ
from caducee.coordination.views.common import internal_only, menu, person, pick_structure
from caducee.core.errors import Invalid, Problem
from caducee.core.web import web_context

CONTACT_FIELDS = ("last_name", "first_name", "profession", "organisation", "phone", "email")


@internal_only
@require_GET
def contacts(request: HttpRequest) -> HttpResponse:
    user = person(request)
    structures = access.structures_with(user, RECORD_READ)
    structure = pick_structure(request, structures)
    query = request.GET.get("q", "").strip()[:100]
    queryset = Contact.objects.filter(structure=structure).select_related("external_account")
    if query:
        found = operations.search_contacts(structure, query, limit=200)
        directory = operations.directory_candidates(query)
    else:
        found = list(queryset[:200])
        directory = []
    known = {c.directory_account_id for c in found if c.directory_account_id}
    return render(
        request,
        "coordination/contacts.html",
        {
            **menu(request, "contacts"),
            "structures": structures,
            "structure": structure,
            "query": query,
            "contacts": found,
            "directory": [a for a in directory if a.pk not in known],
            "can_manage": CONTACT_MANAGE in access.structure_permissions(user, structure),
        },
    )


def _contact_input(request: HttpRequest) -> operations.ContactInput:
    return operations.ContactInput(**{k: request.POST.get(k, "") for k in CONTACT_FIELDS})


@internal_only
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    structures = access.structures_with(person(request), CONTACT_MANAGE)
    structure = pick_structure(request, structures)
    problems: list[Problem] = []
    form = {k: request.POST.get(k, "") for k in CONTACT_FIELDS}
    if request.method == "POST":
        try:
            contact = operations.create_contact(
                web_context(request), structure, _contact_input(request)
            )
        except Invalid as exc:
            problems = exc.problems
        else:
            messages.success(request, f"Contact {contact.display_name} ajouté à l'annuaire.")
            return redirect(f"{reverse('coordination:contacts')}?structure={structure.pk}")
    return render(
        request,
        "coordination/contact_form.html",
        {
            **menu(request, "contacts"),
            "structures": structures,
            "structure": structure,
            "form": form,
            "problems": problems,
            "title": "Nouveau contact",
        },
        status=422 if problems else 200,
    )


@internal_only
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = access.access_contact(person(request), contact_id, CONTACT_MANAGE)
    problems: list[Problem] = []
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in CONTACT_FIELDS}
        try:
            operations.update_contact(web_context(request), contact, _contact_input(request))
        except Invalid as exc:
            problems = exc.problems
        else:
            messages.success(request, "Contact enregistré.")
            return redirect(f"{reverse('coordination:contacts')}?structure={contact.structure_id}")
    else:
        form = {k: getattr(contact, k) for k in CONTACT_FIELDS}
    return render(
        request,
        "coordination/contact_form.html",
        {
            **menu(request, "contacts"),
            "structures": [contact.structure],
            "structure": contact.structure,
            "contact": contact,
            "form": form,
            "problems": problems,
            "title": f"Modifier le contact {contact.display_name}",
        },
        status=422 if problems else 200,
    )


@internal_only
@require_POST
def contact_import(request: HttpRequest) -> HttpResponse:
    """Copy an entry of the regional directory into the structure's contacts."""
    structures = access.structures_with(person(request), CONTACT_MANAGE)
    structure = pick_structure(request, structures)
    account_id = request.POST.get("account", "")
    if not account_id.isdigit():
        return redirect("coordination:contacts")
    contact = operations.import_directory_contact(web_context(request), structure, int(account_id))
    messages.success(request, f"{contact.display_name} ajouté à l'annuaire de {structure.name}.")
    return redirect(f"{reverse('coordination:contacts')}?structure={structure.pk}")
