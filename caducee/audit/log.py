"""Recording audit events, inside the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from caducee.audit.chain import event_hash, hashed_fields
from caducee.audit.models import AuditEvent, AuditHead
from caducee.core.context import Context

if TYPE_CHECKING:
    from caducee.structures.models import Structure


def record(
    ctx: Context,
    action: str,
    *,
    structure: Structure | None = None,
    target: models.Model | None = None,
    target_label: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain. Must run inside the operation's transaction."""
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        event = AuditEvent(
            seq=head.seq + 1,
            created_at=datetime.now(UTC),
            actor=ctx.user,
            actor_label=ctx.actor_label,
            acting_as=ctx.acting_as.email if ctx.acting_as is not None else "",
            channel=ctx.channel,
            ip=ctx.ip,
            structure=structure,
            action=action,
            target_type=target._meta.model_name or "" if target is not None else "",
            target_id=str(target.pk) if target is not None else "",
            target_label=target_label or (str(target) if target is not None else ""),
            detail=detail or {},
            prev_hash=head.hash,
        )
        # Round-trip the detail through JSON so the hash matches what is read back.
        event.detail = _json_roundtrip(event.detail)
        event.hash = event_hash(event.prev_hash, hashed_fields(event))
        event.save()
        head.seq = event.seq
        head.hash = event.hash
        head.save(update_fields=["seq", "hash"])
        return event


def _json_roundtrip(value: dict[str, Any]) -> dict[str, Any]:
    import json

    result: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return result


def record_many(
    ctx: Context,
    events: list[tuple[str, Structure | None, models.Model | None, dict[str, Any]]],
    *,
    batch_size: int = 1000,
) -> int:
    """Append many events (action, structure, target, detail) to the chain in one go.

    Same events and hashes as calling `record` for each, in order, but with one lock of the
    chain head and bulk inserts. Must run inside the operation's transaction.
    """
    if not events:
        return 0
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        seq, prev = head.seq, head.hash
        batch: list[AuditEvent] = []
        for action, structure, target, detail in events:
            seq += 1
            event = AuditEvent(
                seq=seq,
                created_at=datetime.now(UTC),
                actor=ctx.user,
                actor_label=ctx.actor_label,
                acting_as=ctx.acting_as.email if ctx.acting_as is not None else "",
                channel=ctx.channel,
                ip=ctx.ip,
                structure=structure,
                action=action,
                target_type=target._meta.model_name or "" if target is not None else "",
                target_id=str(target.pk) if target is not None else "",
                target_label=str(target) if target is not None else "",
                detail=_json_roundtrip(detail),
                prev_hash=prev,
            )
            event.hash = event_hash(prev, hashed_fields(event))
            prev = event.hash
            batch.append(event)
            if len(batch) >= batch_size:
                AuditEvent.objects.bulk_create(batch)
                batch = []
        if batch:
            AuditEvent.objects.bulk_create(batch)
        head.seq = seq
        head.hash = prev
        head.save(update_fields=["seq", "hash"])
    return len(events)
