"""Webmail (seed 004 screens): thin views over caducee.mail.operations.

Every page goes through `mailbox_view` (built on `caducee.core.web.guarded`): login, the
mailbox in use, NotFound/Forbidden as the 404 page, and the webmail's own CSP. The
operations' context comes from `web_context(request, acting_as=mailbox)` (person and IP,
so the audit of a shared mailbox names both).

A delegate (a mailbox opened through a delegation) sees only the actions their right
allows (`can` in the templates); the operations refuse the others with a French reason,
shown as a message (or a 403 page for a page the right does not open).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from caducee.accounts.delegation_rights import Capability, allows, refusal
from caducee.accounts.models import Account, right_text
from caducee.core.errors import Forbidden, Invalid, NotFound
from caducee.core.headers import no_store
from caducee.core.web import guarded, person, web_context
from caducee.identity.mailboxes import openable
from caducee.identity.session_mailbox import current_mailbox, delegated_right
from caducee.mail import addresses, compose, listing, mime, mss, operations, store
from caducee.mail.client_settings import imap_server, submission_server
from caducee.mail.models import AppPassword, Folder, Message, Space, SystemFolder

MailboxView = Callable[..., HttpResponseBase]
UNREAD_CAP = 1000
CSP = (
    "default-src 'self'; script-src 'self'; img-src 'self' data:; style-src 'self' "
    "'unsafe-inline'; object-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'self'"
)


def mailbox_view(view: MailboxView) -> Callable[..., HttpResponseBase]:
    """`guarded` (login; NotFound → 404 page, Forbidden → 403 page with its French reason:
    a delegate's right), then the mailbox in use (identity contract) passed to the view,
    or a clear page without one; the webmail's CSP."""

    @guarded(forbidden_as=403)
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        mailbox = current_mailbox(request)
        if mailbox is None:
            return render(request, "mail/no_mailbox.html", status=200)
        response = view(request, mailbox, *args, **kwargs)
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response

    return wrapper


def _space(space: str) -> str:
    if space not in Space.values:
        raise NotFound()
    return space


def _folders(mailbox: Account) -> dict[str, list[Folder]]:
    result: dict[str, list[Folder]] = {s: [] for s in Space.values}
    for folder in Folder.objects.filter(mailbox=mailbox):
        result[folder.space].append(folder)
    return result


def _folder_label(mailbox: Account, space: str, key: str) -> str:
    if key in operations.SYSTEM_KEYS:
        return str(SystemFolder(key).label)
    if key.startswith("f") and key[1:].isdigit():
        folder = Folder.objects.filter(pk=int(key[1:]), mailbox=mailbox, space=space).first()
        if folder is not None:
            return folder.name
    raise NotFound()


def _nav(request: HttpRequest, mailbox: Account, space: str, folder: str) -> dict[str, Any]:
    unread = {  # counted up to 1,000 ("999+"), so a huge inbox costs no more
        space_key: Message.objects.filter(
            mailbox=mailbox, space=space_key, folder="inbox", seen=False
        )[:UNREAD_CAP].count()
        for space_key in Space.values
    }
    right = delegated_right(request, mailbox)
    return {
        "mailbox": mailbox,
        "mailbox_address": addresses.sender_address(mailbox),
        "delegation": right_text(right, mailbox) if right is not None else "",
        "can": {c.value: allows(right, c) for c in Capability},
        "spaces": [
            {
                "key": s.value,
                "label": s.label,
                "unread": "999+" if unread[s.value] >= UNREAD_CAP else unread[s.value],
            }
            for s in Space
        ],
        "system_folders": list(SystemFolder),
        "user_folders": _folders(mailbox),
        "space": space,
        "folder": folder,
    }


@mailbox_view
def home(request: HttpRequest, mailbox: Account) -> HttpResponse:
    return redirect("mail:folder", space="pro", folder="inbox")


# The columns of the message list (the page loads no others).
_LIST_FIELDS = (
    "id", "sender", "recipients", "subject", "date", "received_at", "seen", "flagged",
    "has_attachments", "folder",
)  # fmt: skip


def _cursor(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


@mailbox_view
def folder_view(request: HttpRequest, mailbox: Account, space: str, folder: str) -> HttpResponse:
    space = _space(space)
    label = _folder_label(mailbox, space, folder)
    query = request.GET.get("q", "").strip()[:200]
    found = operations.search_in(mailbox, space, folder, query)
    page = listing.folder_page(
        found.rows,
        size=settings.MAIL_PAGE_SIZE,
        before=_cursor(request.GET.get("avant")),
        after=_cursor(request.GET.get("apres")),
        walk=found.walk,
        fields=_LIST_FIELDS,
    )
    context = _nav(request, mailbox, space, folder)
    context.update(
        folder_label=label,
        rows=page.rows,
        newer=page.newer,
        older=page.older,
        query=query,
        show_recipients=folder in {SystemFolder.SENT, SystemFolder.DRAFTS},
        move_targets=[
            (f.value, f.label)
            for f in SystemFolder
            if f.value not in {SystemFolder.DRAFTS, SystemFolder.TRASH}
        ]
        + [(f.key, f.name) for f in context["user_folders"][space]],
    )
    return render(request, "mail/list.html", context)


@require_POST
@mailbox_view
def action_view(request: HttpRequest, mailbox: Account, space: str, folder: str) -> HttpResponse:
    ctx = web_context(request, acting_as=mailbox)
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    action = request.POST.get("action", "")
    back = redirect("mail:folder", space=space, folder=folder)
    try:
        if action == "trash":
            count = operations.trash_messages(ctx, mailbox, ids)
            messages.success(request, f"{count} message(s) envoyé(s) à la corbeille.")
        elif action == "move":
            count = operations.move_messages(ctx, mailbox, ids, request.POST.get("target", ""))
            messages.success(request, f"{count} message(s) déplacé(s).")
        elif action in {"read", "unread"}:
            operations.mark_seen(ctx, mailbox, ids, action == "read")
        elif action in {"flag", "unflag"}:  # issue #18: IMAP \Flagged
            operations.set_flags(ctx, mailbox, ids, {"flagged": action == "flag"})
        elif action == "export":
            name, ctype, data = operations.export_messages(ctx, mailbox, ids)
            response = HttpResponse(data, content_type=ctype)
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        else:
            messages.error(request, "Action inconnue.")
    except (Invalid, Forbidden) as exc:
        messages.error(request, exc.message)
    return back


@require_POST
@mailbox_view
def empty_trash_view(request: HttpRequest, mailbox: Account, space: str) -> HttpResponse:
    count = operations.empty_trash(web_context(request, acting_as=mailbox), mailbox, _space(space))
    messages.success(request, f"Corbeille vidée : {count} message(s) supprimé(s) définitivement.")
    return redirect("mail:folder", space=space, folder="trash")


@require_POST
@mailbox_view
def folder_create_view(request: HttpRequest, mailbox: Account, space: str) -> HttpResponse:
    try:
        folder = operations.create_folder(
            web_context(request, acting_as=mailbox),
            mailbox,
            _space(space),
            request.POST.get("name", ""),
        )
    except Invalid as exc:
        messages.error(request, exc.message)
        return redirect("mail:folder", space=space, folder="inbox")
    messages.success(request, f"Dossier « {folder.name} » créé.")
    return redirect("mail:folder", space=space, folder=folder.key)


@require_POST
@mailbox_view
def folder_edit_view(request: HttpRequest, mailbox: Account, folder_id: int) -> HttpResponse:
    ctx = web_context(request, acting_as=mailbox)
    folder = operations.get_folder(ctx, mailbox, folder_id)
    if request.POST.get("action") == "delete":
        moved = operations.delete_folder(ctx, mailbox, folder_id)
        messages.success(
            request, f"Dossier « {folder.name} » supprimé ; {moved} message(s) mis à la corbeille."
        )
        return redirect("mail:folder", space=folder.space, folder="inbox")
    try:
        folder = operations.rename_folder(ctx, mailbox, folder_id, request.POST.get("name", ""))
        messages.success(request, f"Dossier renommé en « {folder.name} ».")
    except Invalid as exc:
        messages.error(request, exc.message)
    return redirect("mail:folder", space=folder.space, folder=folder.key)


@mailbox_view
def read_view(request: HttpRequest, mailbox: Account, message_id: int) -> HttpResponse:
    message, parsed = operations.read_message(
        web_context(request, acting_as=mailbox), mailbox, message_id
    )
    html = mime.safe_html(parsed.html) if parsed.html else ""
    context = _nav(request, mailbox, message.space, message.folder)
    data = store.read(message.path)  # read_message checked access; no second lookup
    context.update(
        mss=mss.shown(data),  # issue #18: X-MSS-CODECDA / X-MSS-INS / X-MSS-MES shown
        message=message,
        parsed=parsed,
        html=html,
        remote_blocked=bool(parsed.html) and mime.has_remote_images(parsed.html),
        attachments=list(enumerate(parsed.attachments)),
        sender_person=(
            message.sender_person
            if message.sender_person_id is not None and message.sender_person_id != mailbox.user_id
            else None
        ),
    )
    return render(request, "mail/read.html", context)


@mailbox_view
def attachment_view(
    request: HttpRequest, mailbox: Account, message_id: int, index: int
) -> HttpResponse:
    _, parsed = operations.read_message(
        web_context(request, acting_as=mailbox), mailbox, message_id
    )
    if index >= len(parsed.attachments):
        raise NotFound()
    item = parsed.attachments[index]
    response = HttpResponse(item.data, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{item.filename}"'
    return response


def _prefill(mailbox: Account, request: HttpRequest) -> tuple[dict[str, str], int | None]:
    """The compose form's starting values (`compose.py`) and the draft being edited."""
    source_id = request.GET.get("reply") or request.GET.get("forward") or request.GET.get("draft")
    if not source_id or not source_id.isdigit():
        return compose.ComposeDraft().as_form(), None
    ctx = web_context(request, acting_as=mailbox)
    message, parsed = operations.read_message(ctx, mailbox, int(source_id))
    if request.GET.get("draft"):
        values = compose.draft_again(parsed).as_form()
        shown = mss.shown(operations.raw_message(ctx, mailbox, message.pk)[1])  # issue #18
        values.update(ins=shown.ins_value, closes_exchange="1" if shown.end else "")
        return values, message.pk
    if request.GET.get("reply"):
        own = addresses.sender_address(mailbox)
        return compose.reply_draft(parsed, own, bool(request.GET.get("all"))).as_form(), None
    return compose.forward_draft(parsed, message.pk).as_form(), None


def _forwarded(request: HttpRequest, mailbox: Account, message_id: int) -> list[mime.Attachment]:
    _, data = operations.raw_message(web_context(request, acting_as=mailbox), mailbox, message_id)
    return mime.parse(data).attachments


def _draft(request: HttpRequest, mailbox: Account, values: dict[str, str]) -> mime.Draft:
    """The draft of a compose form. Uploaded files are checked on their size (Django has
    spooled the large ones to disk) before any is read into memory."""
    uploads = request.FILES.getlist("attachments")
    forwarded: list[mime.Attachment] = []
    if values["forward_of"].isdigit():  # a forward carries the original's attachments
        forwarded = _forwarded(request, mailbox, int(values["forward_of"]))
    mime.check_sizes(
        [(a.filename, len(a.data)) for a in forwarded]
        + [(f.name or "piece-jointe", f.size or 0) for f in uploads],
        body=values["body"],
    )
    return mime.Draft(
        sender="",
        to=mime.address_list(values["to"]),
        cc=mime.address_list(values["cc"]),
        bcc=mime.address_list(values["bcc"]),
        subject=values["subject"].strip(),
        body=values["body"],
        attachments=forwarded
        + [
            mime.Attachment(f.name or "piece-jointe", f.content_type or "", f.read())
            for f in uploads
        ],
        in_reply_to=values["in_reply_to"],
        references=values["references"],
        ins=values.get("ins", ""),
        closes_exchange=bool(values.get("closes_exchange")),
    )


@require_http_methods(["GET", "POST"])
@mailbox_view
def compose_view(request: HttpRequest, mailbox: Account, space: str) -> HttpResponse:
    space = _space(space)
    error = ""
    if request.method == "POST":
        values = {
            k: request.POST.get(k, "")
            for k in (
                "to",
                "cc",
                "bcc",
                "subject",
                "body",
                "in_reply_to",
                "references",
                "forward_of",
                "ins",  # issue #18: MSSanté INS and X-MSS-MES (caducee/mail/mss.py)
                "closes_exchange",
            )
        }
        draft_id_raw = request.POST.get("draft_id", "")
        draft_id = int(draft_id_raw) if draft_id_raw.isdigit() else None
        ctx = web_context(request, acting_as=mailbox)
        try:
            draft = _draft(request, mailbox, values)
            if request.POST.get("save_draft"):
                operations.save_draft(ctx, mailbox, draft, space=space, draft_id=draft_id)
                messages.success(request, "Brouillon enregistré.")
                return redirect("mail:folder", space=space, folder="drafts")
            result = operations.send_message(ctx, mailbox, draft, space=space, draft_id=draft_id)
        except (Invalid, Forbidden) as exc:
            error = exc.message
        else:
            messages.success(
                request,
                "Message envoyé."
                + (
                    f" {result.queued} destinataire(s) hors plateforme : envoi en cours."
                    if result.queued
                    else ""
                ),
            )
            return redirect("mail:folder", space=space, folder="sent")
    else:
        values, draft_id = _prefill(mailbox, request)
        _require_compose(request, mailbox, values)
    autocomplete_url = reverse("directory:autocomplete")
    context = _nav(request, mailbox, space, "")
    forwarded = (
        _forwarded(request, mailbox, int(values["forward_of"]))
        if values.get("forward_of", "").isdigit()
        else []
    )
    context.update(
        values=values,
        draft_id=draft_id or "",
        error=error,
        autocomplete_url=autocomplete_url,
        forwarded=[a.filename for a in forwarded],
        max_message=mime.megabytes(settings.SMTP_MAX_BYTES),
    )
    return render(request, "mail/compose.html", context, status=422 if error else 200)


def _require_compose(request: HttpRequest, mailbox: Account, values: dict[str, str]) -> None:
    """A delegate opens the form only for what their right allows: a reply needs the reply
    capability, a new message or a forward the write one; else Forbidden (403 page)."""
    right = delegated_right(request, mailbox)
    if right is None:
        return
    need = Capability.REPLY if values.get("in_reply_to") else Capability.WRITE
    if not allows(right, need):
        raise Forbidden(refusal(right, mailbox.email, need))


@guarded()
def autocomplete_view(request: HttpRequest) -> JsonResponse:
    """Address suggestions in the webmail's format, from the directory's search only
    (liste rouge and unlisted accounts are never suggested), with the other operators'
    mailboxes of the national directory unless the person's mailbox is MED (issue #18)."""
    from caducee.directory.national import may_search_national
    from caducee.directory.national_search import OTHER_OPERATOR, suggestions

    hits = suggestions(
        request.GET.get("q", ""), national=may_search_national(person(request)), limit=10
    )
    results = [
        {
            "label": f"{h.name} <{h.address}>"
            + (f" — {OTHER_OPERATOR}" if h.other_operator else ""),
            "address": h.address,
            "other_operator": h.other_operator,
        }
        for h in hits
    ]
    return JsonResponse({"results": results})


@guarded()
@no_store
@require_http_methods(["GET", "POST"])
def app_passwords_view(request: HttpRequest) -> HttpResponse:
    user = person(request)
    ctx = web_context(request)
    created = ""
    if request.method == "POST":
        if request.POST.get("revoke", "").isdigit():
            operations.revoke_app_password(ctx, user, int(request.POST["revoke"]))
            messages.success(request, "Mot de passe d'application révoqué.")
            return redirect("mail:app_passwords")
        created = operations.create_app_password(ctx, user, request.POST.get("label", ""))
    rows = AppPassword.objects.filter(user=user, revoked_at__isnull=True)
    return render(
        request,
        "mail/app_passwords.html",
        {
            "rows": rows,
            "created": created,
            "login": user.email,
            "server": submission_server(),
            "imap": imap_server(),  # issue #18
            "senders": [addresses.sender_address(a) for a in openable(user)],
        },
    )
