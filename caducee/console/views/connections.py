"""« Gestion des comptes de connexion » and delegates, on the account page."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from caducee.accounts.access import access_account
from caducee.accounts.models import Account, Delegation, DelegationRight, right_text
from caducee.accounts.operations import (
    add_connection_accounts,
    add_delegate,
    openable_mailboxes,
    remove_connection_account,
    remove_delegate,
    set_delegate_right,
    update_mailbox_settings,
)
from caducee.accounts.queries import nominative_candidates
from caducee.console.decorators import console_view, person
from caducee.core.errors import Invalid, NotFound
from caducee.core.web import web_context
from caducee.structures.access import access_structure, structures_for_admin

SUGGESTIONS = 50
_INPUT_ID = re.compile(r"^[a-z][a-z0-9_-]{0,40}$")


def connection_context(account: Account) -> dict[str, Any]:
    """What the account page shows about connection accounts and delegates."""
    context: dict[str, Any] = {}
    if account.is_shared:
        links = account.connection_links.select_related("account").order_by("account__email")
        context["connection_links"] = list(links)
    else:
        mailboxes = openable_mailboxes(account, include_deactivated=True)
        notify = dict(account.mailbox_links.values_list("mailbox_id", "notify_on_receipt"))
        default = account.default_mailbox or account
        context["openable"] = [
            {
                "mailbox": mailbox,
                "is_own": mailbox.pk == account.pk,
                "is_default": mailbox.pk == default.pk,
                "notify": notify.get(mailbox.pk, False),
            }
            for mailbox in mailboxes
        ]
        context["default_mailbox"] = default
    delegations = account.delegations.select_related("delegate").order_by("delegate__email")
    context["delegations"] = list(delegations)
    context["delegate_rights"] = [
        (right.value, right_text(right.value, account)) for right in DelegationRight
    ]
    return context


def _account(request: HttpRequest, structure_id: int, account_id: int) -> Account:
    structure = access_structure(person(request), structure_id)
    return access_account(person(request), account_id, structure)


def _to_account(account: Account, anchor: str) -> HttpResponse:
    response = redirect("console:account", account.structure_id, account.pk)
    response["Location"] += f"#{anchor}"
    return response


def _errors(request: HttpRequest, exc: Invalid) -> None:
    messages.error(request, exc.message)
    for problem in exc.errors():
        if problem.message != exc.message:
            messages.error(request, problem.message)


@console_view
@require_GET
def candidates(request: HttpRequest, structure_id: int) -> HttpResponse:
    """Search as you type: nominative accounts of the structures the person administers."""
    user = person(request)
    access_structure(user, structure_id)
    # htmx sends the input under its own name: "emails" or "connection_accounts" (connection
    # accounts), "email" (delegate).
    text = next(
        (
            request.GET[name]
            for name in ("q", "emails", "email", "connection_accounts")
            if request.GET.get(name)
        ),
        "",
    )
    term = text.replace(";", ",").split(",")[-1].strip()[:100]
    target = request.GET.get("cible", "")
    if not _INPUT_ID.match(target):
        target = "connection-emails"
    found = nominative_candidates(structures_for_admin(user), term, limit=SUGGESTIONS)
    return render(
        request,
        "console/accounts/_candidates.html",
        {
            "candidates": found,
            "term": term,
            "limited": len(found) >= SUGGESTIONS,
            "target": target,
            "multiple": request.GET.get("plusieurs") == "1",
        },
    )


@console_view
@require_POST
def connection_add(request: HttpRequest, structure_id: int, account_id: int) -> HttpResponse:
    """« Ajouter un compte existant »."""
    mailbox = _account(request, structure_id, account_id)
    try:
        added = add_connection_accounts(
            web_context(request), mailbox, request.POST.get("emails", "")
        )
    except Invalid as exc:
        _errors(request, exc)
    else:
        if added:
            names = ", ".join(a.email for a in added)
            messages.success(request, f"Compte(s) de connexion ajouté(s) : {names}.")
        else:
            messages.info(request, "Ces comptes étaient déjà comptes de connexion.")
    return _to_account(mailbox, "connexions")


@console_view
@require_POST
def connection_remove(
    request: HttpRequest, structure_id: int, account_id: int, member_id: int
) -> HttpResponse:
    mailbox = _account(request, structure_id, account_id)
    link = mailbox.connection_links.select_related("account").filter(account_id=member_id).first()
    if link is None:
        raise NotFound("Ce compte n'est pas compte de connexion de cette boîte.")
    try:
        remove_connection_account(web_context(request), mailbox, link.account)
    except Invalid as exc:
        _errors(request, exc)
    else:
        messages.success(request, f"{link.account.email} n'est plus compte de connexion.")
    return _to_account(mailbox, "connexions")


@console_view
@require_POST
def mailbox_settings(request: HttpRequest, structure_id: int, account_id: int) -> HttpResponse:
    """Default mailbox and receipt notifications of a nominative account."""
    account = _account(request, structure_id, account_id)
    chosen = request.POST.get("default", "")
    if chosen and not chosen.isdigit():
        raise NotFound("Ce compte ne peut pas ouvrir cette boîte.")
    notify = [int(v) for v in request.POST.getlist("notify") if v.isdigit()]
    update_mailbox_settings(web_context(request), account, int(chosen) if chosen else None, notify)
    account.refresh_from_db()
    shown = account.default_mailbox or account
    messages.success(
        request,
        f"A la prochaine connexion avec l'identifiant {account.email}, le compte "
        f"{shown.email} sera affiché par défaut.",
    )
    return _to_account(account, "connexions")


@console_view
@require_POST
def delegate_add(request: HttpRequest, structure_id: int, account_id: int) -> HttpResponse:
    """« Ajouter un compte délégué »."""
    account = _account(request, structure_id, account_id)
    try:
        delegation = add_delegate(
            web_context(request),
            account,
            request.POST.get("email", ""),
            request.POST.get("right", DelegationRight.READ),
        )
    except Invalid as exc:
        _errors(request, exc)
    else:
        messages.success(
            request,
            f"{delegation.delegate.email} est délégué de ce compte "
            f"(« {right_text(delegation.right, account)} »).",
        )
    return _to_account(account, "delegues")


def _delegation(account: Account, delegate_id: int) -> Delegation:
    """One of the account's delegations, by its delegate's id, else 404."""
    delegation = (
        account.delegations.select_related("delegate").filter(delegate_id=delegate_id).first()
    )
    if delegation is None:
        raise NotFound("Ce délégué n'existe pas.")
    return delegation


@console_view
@require_POST
def delegate_right(
    request: HttpRequest, structure_id: int, account_id: int, delegate_id: int
) -> HttpResponse:
    """The « Droits » of a delegate, changed on the account page."""
    account = _account(request, structure_id, account_id)
    delegation = _delegation(account, delegate_id)
    try:
        delegation = set_delegate_right(
            web_context(request), account, delegation.delegate, request.POST.get("right", "")
        )
    except Invalid as exc:
        _errors(request, exc)
    else:
        messages.success(
            request,
            f"Droits de {delegation.delegate.email} : « {right_text(delegation.right, account)} ».",
        )
    return _to_account(account, "delegues")


@console_view
@require_POST
def delegate_remove(
    request: HttpRequest, structure_id: int, account_id: int, delegate_id: int
) -> HttpResponse:
    account = _account(request, structure_id, account_id)
    delegation = _delegation(account, delegate_id)
    remove_delegate(web_context(request), account, delegation.delegate)
    messages.success(request, f"{delegation.delegate.email} n'est plus délégué de ce compte.")
    return _to_account(account, "delegues")
