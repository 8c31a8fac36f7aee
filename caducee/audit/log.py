"""Recording audit events, inside the caller's transaction.

Each event is appended to its structure's chain (or the platform's): only that chain's
head is locked (caducee/audit/chains.py), and its global number comes from
caducee/audit/numbering.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction

from caducee.audit.actions import AuditAction
from caducee.audit.chain import KEYED, audit_key, event_hash, hashed_fields
from caducee.audit.chains import chain_of, lock_heads
from caducee.audit.models import AuditChainHead, AuditEvent
from caducee.audit.numbering import next_seqs
from caducee.core.bulk import insert_rows
from caducee.core.context import Context

if TYPE_CHECKING:
    from caducee.structures.models import Structure


def record_event(
    ctx: Context,
    action: AuditAction,
    *,
    structure: Structure | None = None,
    target: models.Model | None = None,
    target_label: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to its chain. Must run inside the operation's transaction."""
    with transaction.atomic():
        chain = chain_of(structure.pk if structure is not None else None)
        head = lock_heads([chain])[chain]
        # Numbered after the head is locked: along a chain, `seq` increases too.
        (seq,) = next_seqs(1)
        event = AuditEvent(
            seq=seq,
            chain=chain,
            chain_seq=head.length + 1,
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
            key_version=KEYED,
        )
        # Round-trip the detail through JSON so the hash matches what is read back.
        event.detail = _json_roundtrip(event.detail)
        event.hash = event_hash(event.prev_hash, hashed_fields(event))
        event.save()
        head.length = event.chain_seq or 0
        head.seq = event.seq
        head.hash = event.hash
        head.save(update_fields=["length", "seq", "hash"])
        return event


def _json_roundtrip(value: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return result


@dataclass(frozen=True)
class TargetRef:
    """A target named without loading it: model name, primary key and label."""

    type: str
    id: str
    label: str


AuditItem = tuple[
    AuditAction, "Structure | int | None", "models.Model | TargetRef | None", dict[str, Any]
]


def record_many(ctx: Context, events: list[AuditItem], *, batch_size: int = 1000) -> int:
    """Append many events (action, structure, target, detail) to their chains in one go.

    Same events and hashes as calling `record` for each, in order (with one timestamp for
    the whole call), but with one lock per chain head (taken once, in ascending order) and
    multi-row inserts (no model instance per event: bulk paths such as the loaduser import
    write thousands). Must run inside the operation's transaction.

    Each detail is encoded to JSON once: that text is what the row stores (the insert does
    not encode it again), and its decoding is what the hash covers, as `record` does with
    `_json_roundtrip` and as `verify` reads it back.
    """
    if not events:
        return 0
    # The details' JSON before the first query: on PostgreSQL the writes asked just before
    # (an import's accounts, core/bulk.copies_in_background) are inserted meanwhile.
    texts = [_DETAIL.encode(detail) for _, _, _, detail in events]  # json.dumps(default=str)
    decoded = [json.loads(text) for text in texts]  # what the hash covers (`verify` reads it)
    with transaction.atomic():
        structure_ids = [
            structure if structure is None or isinstance(structure, int) else structure.pk
            for _, structure, _, _ in events
        ]
        heads = lock_heads(chain_of(structure_id) for structure_id in structure_ids)
        tips = {chain: (head.length, head.hash) for chain, head in heads.items()}
        seqs = next_seqs(len(events))
        actor_id = ctx.user.pk if ctx.user is not None else None
        acting_as = ctx.acting_as.email if ctx.acting_as is not None else ""
        now = datetime.now(UTC)
        # `hashed_fields` of each event, built directly: the batch's common values once.
        stamp = now.isoformat(timespec="microseconds")
        stored_at = connection.ops.adapt_datetimefield_value(now)  # adapted once, not per row
        common = (actor_id, ctx.actor_label, acting_as, ctx.channel, ctx.ip)
        key = audit_key()
        rows: list[tuple[Any, ...]] = []
        last_seq: dict[int, int] = {}
        for (action, _, target, _detail), structure_id, seq, text, detail in zip(
            events, structure_ids, seqs, texts, decoded, strict=True
        ):
            if isinstance(target, TargetRef):
                ref = target
            elif target is not None:
                ref = TargetRef(target._meta.model_name or "", str(target.pk), str(target))
            else:
                ref = TargetRef("", "", "")
            chain = chain_of(structure_id)
            length, prev = tips[chain]
            label = ref.label[:254]
            fields = {
                "seq": seq,
                "created_at": stamp,
                "actor_id": actor_id,
                "actor_label": ctx.actor_label,
                "acting_as": acting_as,
                "channel": ctx.channel,
                "ip": ctx.ip,
                "structure_id": structure_id,
                "action": action,
                "target_type": ref.type,
                "target_id": ref.id,
                "target_label": label,
                "detail": detail,
                "chain": chain,
                "chain_seq": length + 1,
            }
            digest = event_hash(prev, fields, key)
            rows.append(
                (
                    seq, stored_at, *common, structure_id, action, ref.type, ref.id, label, text,
                    chain, length + 1, prev, digest, KEYED,
                )
            )  # fmt: skip
            tips[chain] = (length + 1, digest)
            last_seq[chain] = seq
            if len(rows) >= batch_size:
                _insert_events(rows)
                rows = []
        if rows:
            _insert_events(rows)
        for chain, head in heads.items():
            head.length, head.hash = tips[chain]
            head.seq = last_seq[chain]
        _save_heads(list(heads.values()))
    return len(events)


def _save_heads(heads: list[AuditChainHead]) -> None:
    """One UPDATE for every head, however many chains the events touched (a page listing
    the records of forty structures writes to forty chains). Built by hand: Django's
    `bulk_update` compiles one CASE branch object per head and field, which cost more
    Python time than the whole rest of the write."""
    if len(heads) == 1:
        heads[0].save(update_fields=["length", "seq", "hash"])
        return
    table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    branches = " ".join(["WHEN %s THEN %s"] * len(heads))
    columns = ("length", "seq", "hash")
    sets = ", ".join(
        f"{connection.ops.quote_name(column)} = CASE chain {branches} END" for column in columns
    )
    marks = ", ".join(["%s"] * len(heads))
    params: list[Any] = []
    for column in columns:
        for head in heads:
            params += [head.chain, getattr(head, column)]
    params += [head.chain for head in heads]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {sets} WHERE chain IN ({marks})", params)  # noqa: S608


# What `_json_roundtrip` encodes with: json.dumps(value, default=str), one encoder for all.
_DETAIL = json.JSONEncoder(default=str)
_COLUMNS = (
    "seq", "created_at", "actor_id", "actor_label", "acting_as", "channel", "ip",
    "structure_id", "action", "target_type", "target_id", "target_label", "detail",
    "chain", "chain_seq", "prev_hash", "hash", "key_version",
)  # fmt: skip


def _insert_events(rows: list[tuple[Any, ...]]) -> None:
    insert_rows(AuditEvent, _COLUMNS, rows, adapted=("created_at", "detail"))
