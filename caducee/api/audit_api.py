"""The audit journal of a structure in the REST API: the console's « Journal d'audit ».

The same rule as the page: an admin of the structure, or the operator (404 otherwise); the
same order (newest first) and the same cursors (`after` / `before`, an event's `seq`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from caducee.api.errors import responses
from caducee.audit.models import AuditEvent
from caducee.console.audit_labels import CHANNEL_LABELS, action_label
from caducee.console.pagination import seek_page
from caducee.core.web import api_user
from caducee.structures.access import access_structure

router = Router(tags=["journal d'audit"])

PAGE_SIZE = 50


class AuditEventOut(Schema):
    seq: int
    created_at: datetime
    actor: str
    acting_as: str
    channel: str
    channel_label: str
    ip: str | None
    action: str
    action_label: str
    target_type: str
    target_id: str
    target_label: str
    detail: dict[str, Any]


class AuditPageOut(Schema):
    events: list[AuditEventOut]
    next_cursor: str | None
    prev_cursor: str | None


def event_out(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "created_at": event.created_at,
        "actor": event.actor_label,
        "acting_as": event.acting_as,
        "channel": event.channel,
        "channel_label": CHANNEL_LABELS.get(event.channel, event.channel),
        "ip": event.ip,
        "action": event.action,
        "action_label": action_label(event.action),
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "detail": event.detail or {},
    }


@router.get(
    "/structures/{structure_id}/audit",
    response=responses({200: AuditPageOut}, 404),
    summary="Journal d'audit d'une structure (du plus récent au plus ancien, 50 par page)",
    description="`after` : les événements plus anciens que ce numéro (`next_cursor` de la "
    "page précédente) ; `before` : les plus récents (`prev_cursor`).",
)
def audit_log(request: HttpRequest, structure_id: int, after: str = "", before: str = "") -> Any:
    structure = access_structure(api_user(request), structure_id)
    events = AuditEvent.objects.filter(structure=structure).select_related("actor")
    page = seek_page(
        events, "seq", after=after, before=before, size=PAGE_SIZE, descending=True, convert=int
    )
    return {
        "events": [event_out(e) for e in page.items],
        "next_cursor": page.next_cursor,
        "prev_cursor": page.prev_cursor,
    }
