"""« Journal d'audit » of a structure: who did what, when, on which account, from where."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from caducee.audit.models import AuditEvent
from caducee.console.audit_labels import CHANNEL_LABELS, action_label, detail_lines
from caducee.console.decorators import console_view, person
from caducee.console.pagination import seek_page
from caducee.structures.access import access_structure

PAGE_SIZE = 50


@console_view
def audit_log(request: HttpRequest, structure_id: int) -> HttpResponse:
    structure = access_structure(person(request), structure_id)
    events = AuditEvent.objects.filter(structure=structure).select_related("actor")
    page = seek_page(
        events,
        "seq",
        after=request.GET.get("apres", ""),
        before=request.GET.get("avant", ""),
        size=PAGE_SIZE,
        descending=True,
        convert=int,
    )
    rows = [
        {
            "event": event,
            "author": event.actor.display_name if event.actor else event.actor_label,
            "author_email": event.actor_label,
            "action": action_label(event.action),
            "channel": CHANNEL_LABELS.get(event.channel, event.channel),
            "details": detail_lines(event.detail or {}),
        }
        for event in page.items
    ]
    return render(
        request,
        "console/audit/list.html",
        {"structure": structure, "page": page, "rows": rows, "active": "audit"},
    )
