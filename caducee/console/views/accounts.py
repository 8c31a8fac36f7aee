"""« Gestion des utilisateurs »: the account list, create, edit, state and type changes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from caducee.accounts.access import access_account
from caducee.accounts.email_changes import (
    cancel_email_change,
    request_email_change,
    resend_email_change_link,
)
from caducee.accounts.fields import TYPES
from caducee.accounts.models import Account, AccountState, AccountType
from caducee.accounts.operations import (
    Outcome,
    account_values,
    change_type,
    create_account,
    deactivate_account,
    preview_type_change,
    reactivate_account,
    update_account,
)
from caducee.accounts.queries import (
    EMAIL_CHANGE_STATES,
    counters,
    email_change_of,
    email_changes_in,
    pending_email_changes,
    search_accounts,
)
from caducee.accounts.validation import is_empty
from caducee.console.decorators import console_view, person
from caducee.console.forms import TYPE_DESCRIPTIONS, TYPE_TITLES, AccountForm
from caducee.console.pagination import seek_page
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.core.web import web_context
from caducee.lifecycle.rules import expiring_soon_by, expiring_soon_days
from caducee.structures.access import access_structure

PAGE_SIZE = 50
# The columns loaded for each row. Row partials of other apps (directory/_row_actions.html)
# may read these without an extra query per row; any other field would cost one.
LIST_COLUMNS = (
    "pk",
    "structure_id",
    "email",
    "state",
    "type",
    "last_name",
    "first_name",
    "profession",
    "rpps",
    "adeli",
    "mssante_particle",
    "visible",
    "is_test",
    "expiry_date",
)
# The counters above the account list (one per account state, seed 004 §3.2), each a
# link to the list filtered on that state.
COUNTERS = (
    ("valid", "Utilisateurs valides", AccountState.VALID),
    ("to_validate", "Utilisateurs à valider", AccountState.TO_VALIDATE),
    ("preregistered", "Utilisateurs préinscrits", AccountState.PREREGISTERED),
    ("rejected", "Utilisateurs rejetés", AccountState.REJECTED),
    ("deactivated", "Utilisateurs désactivés", AccountState.DEACTIVATED),
    ("deleted", "Utilisateurs supprimés", AccountState.DELETED),
)


def _account(request: HttpRequest, structure_id: int, account_id: int) -> Account:
    structure = access_structure(person(request), structure_id)
    return access_account(person(request), account_id, structure)


def _report(request: HttpRequest, outcome: Outcome) -> None:
    for warning in outcome.warnings:
        messages.warning(request, warning.message)


@console_view
def account_list(request: HttpRequest, structure_id: int) -> HttpResponse:
    """« Liste de vos utilisateurs »."""
    structure = access_structure(person(request), structure_id)
    query = request.GET.get("q", "").strip()[:200]
    state = request.GET.get("etat", "")
    state = state if state in AccountState.values else ""
    kind = request.GET.get("type", "").upper()
    kind = kind if kind in TYPES else ""
    expire = "bientot" if request.GET.get("expire") == "bientot" else ""
    expiring_by = expiring_soon_by()
    accounts = search_accounts(structure, query, state, kind, expiring_by if expire else None).only(
        *LIST_COLUMNS
    )
    page = seek_page(
        accounts,
        "email",
        after=request.GET.get("apres", ""),
        before=request.GET.get("avant", ""),
        size=PAGE_SIZE,
    )
    totals = counters(structure)
    filters = {"q": query, "etat": state, "type": kind, "expire": expire}
    return render(
        request,
        "console/accounts/list.html",
        {
            "structure": structure,
            "page": page,
            "filters": filters,
            "counters": [
                (label, totals[key], value, value == state) for key, label, value in COUNTERS
            ],
            "email_changes": totals["email_changes"],
            "expiring_count": search_accounts(structure, expiring_by=expiring_by).count(),
            "expiring_days": expiring_soon_days(),
            "states": AccountState.choices,
            "types": TYPES,
            "active": "users",
        },
    )


@console_view
def account_create_choose(request: HttpRequest, structure_id: int) -> HttpResponse:
    """« Choisir son type de BAL »."""
    structure = access_structure(person(request), structure_id)
    types = [(kind, TYPE_TITLES[kind], TYPE_DESCRIPTIONS[kind]) for kind in TYPES]
    return render(
        request,
        "console/accounts/choose_type.html",
        {"structure": structure, "types": types, "active": "users"},
    )


@console_view
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest, structure_id: int, kind: str) -> HttpResponse:
    """« Ajouter un utilisateur (TYPE) »."""
    structure = access_structure(person(request), structure_id)
    kind = kind.upper()
    if kind not in TYPES:
        raise NotFound("Type de BAL inconnu.")
    form = AccountForm(kind, request.POST or None, mode="create")
    form.suggest_connection_accounts(reverse("console:candidates", args=[structure.pk]))
    options = {
        "is_test": request.POST.get("is_test", "non") == "oui",
        "visible": request.POST.get("visible") == "on",
    }
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            outcome = create_account(
                web_context(request), structure, form.raw(), notify=True, **options
            )
        except Invalid as exc:
            error = exc.message
            form.add_problems(exc.problems)
        else:
            account = outcome.account
            text = f"Le compte {account.email} a été créé ({account.get_state_display()})."
            if account.is_nominative:
                text += " Un mail l'invite à finaliser son inscription."
            messages.success(request, text)
            _report(request, outcome)
            return redirect("console:account", structure.pk, account.pk)
    return render(
        request,
        "console/accounts/create.html",
        {
            "structure": structure,
            "form": form,
            "kind": kind,
            "shared": kind in AccountType.shared(),
            "title": TYPE_TITLES[kind],
            "description": TYPE_DESCRIPTIONS[kind],
            "options": options,
            "error": error,
            "active": "users",
        },
    )


def _account_page_context(account: Account) -> dict[str, Any]:
    """The blocks of the account page below the form (connection accounts, delegates)."""
    from caducee.console.views.connections import connection_context
    from caducee.lifecycle.views import account_block

    return {**connection_context(account), **account_block(account)}


@console_view
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, structure_id: int, account_id: int) -> HttpResponse:
    """« Éditer le compte »."""
    account = _account(request, structure_id, account_id)
    form = AccountForm(
        account.type, request.POST or None, initial=account_values(account), mode="edit"
    )
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            outcome = update_account(web_context(request), account, form.raw())
        except Invalid as exc:
            error = exc.message
            form.add_problems(exc.problems)
        else:
            messages.success(
                request,
                "Le compte a été enregistré." if outcome.changes else "Aucune modification.",
            )
            _report(request, outcome)
            return redirect("console:account", account.structure_id, account.pk)
        account.refresh_from_db()
    return render(
        request,
        "console/accounts/edit.html",
        {
            "structure": account.structure,
            "account": account,
            "form": form,
            "error": error,
            "title": TYPE_TITLES[account.type],
            "pending_change": pending_email_changes(account.structure)
            .filter(account=account)
            .first(),
            "active": "users",
            **_account_page_context(account),
        },
    )


def _back(request: HttpRequest, account: Account) -> HttpResponse:
    if request.POST.get("retour") == "liste":
        return redirect("console:accounts", account.structure_id)
    return redirect("console:account", account.structure_id, account.pk)


@console_view
@require_POST
def account_deactivate(request: HttpRequest, structure_id: int, account_id: int) -> HttpResponse:
    account = _account(request, structure_id, account_id)
    deactivate_account(web_context(request), account)
    messages.success(request, f"Le compte {account.email} est désactivé.")
    return _back(request, account)


@console_view
@require_POST
def account_reactivate(request: HttpRequest, structure_id: int, account_id: int) -> HttpResponse:
    account = _account(request, structure_id, account_id)
    reactivate_account(web_context(request), account)
    messages.success(
        request, f"Le compte {account.email} est réactivé ({account.get_state_display()})."
    )
    return _back(request, account)


def _change_type_form(account: Account, kind: str, data: Any = None) -> AccountForm:
    """The new type's fields, plus the not-concerned ones that still hold a value."""
    values = account_values(account)
    keep = [key for key, value in values.items() if not is_empty(value)]
    return AccountForm(kind, data, initial=values, mode="change_type", keep=keep)


def _requirements(kind: str, problems: list[Problem], form: AccountForm) -> list[str]:
    lines = []
    for problem in problems:
        if not problem.is_error:
            continue
        field = form.fields.get(problem.field)
        name = str(field.label) if field is not None and field.label else ""
        named = not name or name in problem.message
        lines.append(problem.message if named else f"{name} : {problem.message}")
    return lines


@console_view
@require_http_methods(["GET", "POST"])
def account_change_type(request: HttpRequest, structure_id: int, account_id: int) -> HttpResponse:
    """« Changer le type de BAL »: pick the new type, then fill what it requires."""
    account = _account(request, structure_id, account_id)
    kind = (request.POST.get("type") or request.GET.get("type") or "").upper()
    choices = [(t, TYPE_TITLES[t], TYPE_DESCRIPTIONS[t]) for t in TYPES if t != account.type]
    context: dict[str, Any] = {
        "structure": account.structure,
        "account": account,
        "choices": choices,
        "kind": kind,
        "current_title": TYPE_TITLES[account.type],
        "active": "users",
    }
    if kind not in TYPES or kind == account.type:
        return render(request, "console/accounts/change_type.html", context)
    form = _change_type_form(account, kind, request.POST if request.method == "POST" else None)
    form.suggest_connection_accounts(reverse("console:candidates", args=[account.structure_id]))
    problems: list[Problem] = []
    if request.method == "POST" and form.is_valid():
        try:
            outcome = change_type(web_context(request), account, kind, form.raw())
        except Invalid as exc:
            problems = exc.problems
            form.add_problems(problems)
        else:
            messages.success(request, f"Le compte {account.email} est maintenant en {kind}.")
            _report(request, outcome)
            return redirect("console:account", account.structure_id, account.pk)
    elif request.method == "GET":
        problems = preview_type_change(account, kind)  # what the new type asks for
    context.update(
        form=form,
        title=TYPE_TITLES[kind],
        requirements=_requirements(kind, problems, form),
    )
    return render(request, "console/accounts/change_type.html", context)


@console_view
@require_POST
def email_change_request(request: HttpRequest, structure_id: int, account_id: int) -> HttpResponse:
    account = _account(request, structure_id, account_id)
    try:
        change = request_email_change(
            web_context(request), account, request.POST.get("new_email", "")
        )
    except Invalid as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Demande de changement de mail enregistrée : {account.email} → {change.new_email}. "
            f"Un lien de confirmation est envoyé à {change.new_email} ; l'adresse change quand "
            "son titulaire l'ouvre. L'adresse actuelle est prévenue.",
        )
    return redirect("console:account", account.structure_id, account.pk)


@console_view
def email_change_list(request: HttpRequest, structure_id: int) -> HttpResponse:
    """« Demandes de changement de mail »: every request, newest first, by state."""
    structure = access_structure(person(request), structure_id)
    state = request.GET.get("etat", "")
    text = request.GET.get("q", "")
    try:
        changes = email_changes_in(structure, state, text)
    except Invalid as exc:
        messages.error(request, exc.message)
        state, changes = "", email_changes_in(structure, "", text)
    page = seek_page(
        changes,
        "pk",
        after=request.GET.get("apres", ""),
        before=request.GET.get("avant", ""),
        size=50,
        descending=True,
        convert=int,
    )
    return render(
        request,
        "console/accounts/email_changes.html",
        {
            "structure": structure,
            "page": page,
            "states": EMAIL_CHANGE_STATES,
            "state": state,
            "q": text,
            "active": "users",
        },
    )


@console_view
@require_POST
def email_change_resend(request: HttpRequest, structure_id: int, change_id: int) -> HttpResponse:
    """« Renvoyer le lien »: a fresh confirmation link to the new address."""
    structure = access_structure(person(request), structure_id)
    change = email_change_of(structure, change_id)
    try:
        resend_email_change_link(web_context(request), change)
    except Invalid as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Un nouveau lien de confirmation a été envoyé à {change.new_email}."
        )
    return redirect("console:email_changes", structure.pk)


@console_view
@require_POST
def email_change_cancel(request: HttpRequest, structure_id: int, change_id: int) -> HttpResponse:
    structure = access_structure(person(request), structure_id)
    change = email_change_of(structure, change_id)
    cancel_email_change(web_context(request), change)
    messages.success(request, "La demande de changement de mail est annulée.")
    return redirect("console:email_changes", structure.pk)
