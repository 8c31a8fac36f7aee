"""Structures: the operator's pages (list, create, edit, admins) and the structure home."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from caducee.accounts.queries import counters
from caducee.console.decorators import console_view, person, require_operator
from caducee.console.forms import AppointAdminForm, StructureForm
from caducee.core.errors import Forbidden, Invalid, NotFound
from caducee.core.web import web_context
from caducee.identity.operations import issue_password_link
from caducee.structures.access import access_structure
from caducee.structures.domains import is_shared_domain, mssante_domain
from caducee.structures.models import Structure, StructureAdmin
from caducee.structures.operations import (
    StructureInput,
    appoint_admin,
    create_structure,
    remove_admin,
    update_structure,
)
from caducee.structures.ownership import OPERATOR_FIELDS


@console_view
def structure_list(request: HttpRequest) -> HttpResponse:
    require_operator(request)
    structures = Structure.objects.annotate(admin_count=Count("admins")).order_by("name")
    return render(request, "console/structures/list.html", {"structures": structures})


def _structure_input(form: StructureForm) -> StructureInput:
    data = {name: form.cleaned_data.get(name) or "" for name in form.fields}
    return StructureInput(**data)


@console_view
@require_http_methods(["GET", "POST"])
def structure_create(request: HttpRequest) -> HttpResponse:
    require_operator(request)
    form = StructureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            structure = create_structure(web_context(request), _structure_input(form))
        except Invalid as exc:
            form.add_problems(exc.problems)
            if not exc.problems:
                form.add_error(None, exc.message)
        else:
            messages.success(request, f"La structure « {structure.name} » a été créée.")
            return redirect("console:structure_admins", structure.pk)
    return render(
        request,
        "console/structures/create.html",
        {"form": form, "required": StructureForm.REQUIRED},
    )


@console_view
@require_http_methods(["GET", "POST"])
def structure_edit(request: HttpRequest, structure_id: int) -> HttpResponse:
    """« Paramétrage de la structure »: every field for the operator; for the structure's
    admins, their fields (structures/ownership.py), the operator's shown read-only."""
    user = person(request)
    structure = access_structure(user, structure_id)
    initial = {name: getattr(structure, name) or "" for name in StructureForm.base_fields}
    form = StructureForm(request.POST or None, initial=initial)
    if not user.is_operator:
        form.lock_operator_fields()
    if request.method == "POST" and form.is_valid():
        data = _structure_input(form)
        try:
            update_structure(web_context(request), structure, data)
        except Invalid as exc:
            form.add_problems(exc.problems)
            if not exc.problems:
                form.add_error(None, exc.message)
        except Forbidden as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "La structure a été enregistrée.")
            return redirect("console:structure", structure.pk)
    return render(
        request,
        "console/structures/form.html",
        {
            "form": form,
            "required": StructureForm.REQUIRED,
            "structure": structure,
            "active": "settings",
            "operator_fields": () if user.is_operator else OPERATOR_FIELDS,
        },
    )


@console_view
@require_http_methods(["GET", "POST"])
def structure_admins(request: HttpRequest, structure_id: int) -> HttpResponse:
    structure = access_structure(require_operator(request), structure_id)
    form = AppointAdminForm(request.POST or None)
    password_link = ""
    appointed = None
    if request.method == "POST" and form.is_valid():
        ctx = web_context(request)
        try:
            appointed, _created = appoint_admin(ctx, structure, form.cleaned_data["email"])
        except Invalid as exc:
            for problem in exc.problems or []:
                form.add_error("email", problem.message)
            if not exc.problems:
                form.add_error("email", exc.message)
        else:
            messages.success(
                request, f"{appointed.email} administre maintenant « {structure.name} »."
            )
            if not appointed.has_usable_password():
                # Shown once, on this page only: the token is never stored in clear.
                password_link = issue_password_link(ctx, appointed)
            else:
                return redirect("console:structure_admins", structure.pk)
    roles = StructureAdmin.objects.filter(structure=structure).select_related("user")
    return render(
        request,
        "console/structures/admins.html",
        {
            "structure": structure,
            "form": form,
            "roles": roles.order_by("user__email"),
            "password_link": password_link,
            "appointed": appointed,
            "active": "admins",
        },
    )


@console_view
@require_POST
def structure_admin_remove(request: HttpRequest, structure_id: int, user_id: int) -> HttpResponse:
    structure = access_structure(require_operator(request), structure_id)
    role = StructureAdmin.objects.filter(structure=structure, user_id=user_id).first()
    if role is None:
        raise NotFound("Administrateur introuvable.")
    remove_admin(web_context(request), structure, role.user)
    messages.success(request, f"{role.user.email} n'administre plus « {structure.name} ».")
    return redirect("console:structure_admins", structure.pk)


@console_view
def structure_home(request: HttpRequest, structure_id: int) -> HttpResponse:
    """« Accueil structure »."""
    structure = access_structure(person(request), structure_id)
    admins = StructureAdmin.objects.filter(structure=structure).select_related("user")
    return render(
        request,
        "console/structures/home.html",
        {
            "structure": structure,
            "shared_domain": is_shared_domain(mssante_domain(structure)),
            "counters": counters(structure),
            "admins": admins.order_by("user__email"),
            "active": "home",
        },
    )
