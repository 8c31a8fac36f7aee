"""The webmail's « Paramètres » page (issue #15 point 8, seed 004: « également accessible
via le Webmail dans les paramètres du compte nominatif »).

The person's own nominative account: the mailbox opened at login, the receipt
notification of each ORG/APP mailbox they connect to, and « Proposer un collègue » on the
ORG mailboxes they use or are responsible of. Thin over `caducee.accounts.operations`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from caducee.accounts.colleagues import proposable_mailboxes, proposals_by
from caducee.accounts.models import Account, ColleagueProposal
from caducee.accounts.operations import propose_colleague, update_mailbox_settings
from caducee.core.errors import Forbidden, Invalid, NotFound
from caducee.core.web import web_context
from caducee.identity.session_mailbox import openable_mailboxes
from caducee.mail.autoreply import set_autoreply, settings_of
from caducee.mail.views import mailbox_view


def _choices(own: Account, boxes: list[Account], notify: dict[int, bool]) -> list[dict[str, Any]]:
    default_id = own.default_mailbox_id or own.pk
    return [
        {
            "mailbox": box,
            "is_own": box.pk == own.pk,
            "is_default": box.pk == default_id,
            "notify": notify.get(box.pk, False),
        }
        for box in boxes
        if box.pk == own.pk or box.pk in notify  # own, then connection links only
    ]


def _save_mailboxes(request: HttpRequest, own: Account, notify: dict[int, bool]) -> None:
    chosen = request.POST.get("default", "")
    if chosen and not chosen.isdigit():
        raise NotFound("Vous ne pouvez pas ouvrir cette boîte.")
    shown = {m.pk for m in openable_mailboxes(request)}
    wanted = [int(v) for v in request.POST.getlist("notify") if v.isdigit()]
    # Links to boxes not shown (deactivated for now) keep their notification.
    kept = [pk for pk, on in notify.items() if on and pk not in shown]
    update_mailbox_settings(
        web_context(request), own, int(chosen) if chosen else None, [*wanted, *kept]
    )
    own.refresh_from_db()
    default = own.default_mailbox or own
    messages.success(
        request,
        f"Paramètres enregistrés : à votre prochaine connexion, la boîte {default.email} "
        "sera affichée par défaut.",
    )


def _propose(request: HttpRequest, own: Account) -> None:
    mailbox_id = request.POST.get("mailbox", "")
    mailbox = next(
        (m for m in proposable_mailboxes(own) if str(m.pk) == mailbox_id),
        None,
    )
    if mailbox is None:
        raise NotFound("Boîte introuvable.")
    try:
        proposal = propose_colleague(web_context(request), mailbox, request.POST.get("email", ""))
    except Invalid as exc:
        messages.error(request, exc.message)
        return
    if proposal.status == ColleagueProposal.Status.ADDED:
        messages.success(
            request,
            f"{proposal.colleague.email} est maintenant compte de connexion de {mailbox.email}.",
        )
    else:
        messages.success(
            request,
            f"Proposition envoyée : un administrateur de la structure doit valider l'ajout de "
            f"{proposal.colleague.email} à {mailbox.email}.",
        )


# --- Issue #18: « Réponse automatique » of the own mailbox and the linked ORG/APP ones ---


def _date(raw: str, label: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid(f"Date « {label} » illisible : choisissez-la dans le calendrier.") from None


def _autoreply_boxes(own: Account, boxes: list[Account], notify: dict[int, bool]) -> list[Account]:
    """The mailboxes whose automatic reply the person sets: their own, and the ORG/APP
    mailboxes they are a connection account of (never one opened as a delegate)."""
    return [box for box in boxes if box.pk == own.pk or box.pk in notify]


def _save_autoreply(request: HttpRequest, boxes: list[Account]) -> None:
    mailbox = next((b for b in boxes if str(b.pk) == request.POST.get("mailbox", "")), None)
    if mailbox is None:
        raise NotFound("Boîte introuvable.")
    try:
        set_autoreply(
            web_context(request, acting_as=mailbox),
            mailbox,
            enabled=bool(request.POST.get("enabled")),
            starts_on=_date(request.POST.get("starts_on", ""), "Du"),
            ends_on=_date(request.POST.get("ends_on", ""), "Au"),
            subject=request.POST.get("subject", ""),
            text=request.POST.get("text", ""),
        )
    except (Invalid, Forbidden) as exc:
        messages.error(request, f"{mailbox.email} : {exc.message}")
        return
    messages.success(request, f"Réponse automatique de {mailbox.email} enregistrée.")


def _autoreplies(boxes: list[Account]) -> list[dict[str, Any]]:
    rules = settings_of(boxes)
    return [{"mailbox": box, "rule": rules[box.pk]} for box in boxes]


# --- end issue #18 ---


@mailbox_view
@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest, mailbox: Account) -> HttpResponse:
    """« Paramètres »: default mailbox, receipt notifications, « Proposer un collègue »."""
    boxes = openable_mailboxes(request)
    if not boxes:
        raise NotFound("Boîte introuvable.")
    own = boxes[0]
    notify = dict(own.mailbox_links.values_list("mailbox_id", "notify_on_receipt"))
    if request.method == "POST":
        if request.POST.get("form") == "colleague":
            _propose(request, own)
        elif request.POST.get("form") == "autoreply":  # issue #18
            _save_autoreply(request, _autoreply_boxes(own, boxes, notify))
        else:
            _save_mailboxes(request, own, notify)
        return redirect("mail:settings")
    return render(
        request,
        "mail/settings.html",
        {
            "mailbox": mailbox,
            "own": own,
            "choices": _choices(own, boxes, notify),
            "proposable": proposable_mailboxes(own),
            "proposals": list(proposals_by(own)[:50]),
            "autoreplies": _autoreplies(_autoreply_boxes(own, boxes, notify)),
        },
    )
