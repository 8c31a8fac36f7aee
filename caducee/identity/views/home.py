"""The landing page of a logged-in person and « Changer de compte »."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from caducee.core.errors import NotFound
from caducee.core.web import guarded, person, safe_next, web_context
from caducee.identity import operations as ops
from caducee.identity.session_mailbox import current_mailbox, openable_mailboxes, use_mailbox
from caducee.structures.access import is_admin


def _webmail_url() -> str:
    """The webmail's home (the mail app), when this build has it."""
    try:
        return reverse("mail:home")
    except NoReverseMatch:
        return ""


@guarded()
def home_view(request: HttpRequest) -> HttpResponse:
    user = person(request)
    mailbox = current_mailbox(request)
    admin = is_admin(user)
    if mailbox is None and admin:
        return redirect("console:home")
    if mailbox is not None and (webmail := _webmail_url()):
        return redirect(webmail)
    return render(
        request,
        "identity/home.html",
        {"mailbox": mailbox, "mailboxes": openable_mailboxes(request), "is_admin": admin},
    )


@guarded()
@require_POST
def switch_view(request: HttpRequest) -> HttpResponse:
    try:
        mailbox_id = int(request.POST.get("mailbox", ""))
    except ValueError:
        raise NotFound("Boîte introuvable.") from None
    mailbox = ops.switch_mailbox(web_context(request), person(request), mailbox_id)
    use_mailbox(request, mailbox)
    messages.success(request, f"Vous utilisez maintenant la boîte {mailbox.email}.")
    return redirect(safe_next(request, request.POST.get("next", "")) or "identity:home")
