"""Sealing the events written before the chain was keyed.

Events recorded before migration `0003_sec_audit_key` carry a plain SHA-256 hash
(`key_version` NULL). They are not rewritten: the migration appends one keyed event,
`audit.chain_keyed`, whose HMAC covers the last of them (its `prev_hash`). From then on:

- editing an old event breaks the link to that keyed event, which cannot be recomputed
  without the key;
- an unkeyed event after a keyed one, or a journal that ends with unkeyed events, is
  reported by `caducee audit verify` (someone rewrote the chain without the key).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from caducee.audit.chain import KEYED, event_hash, hashed_fields

SEAL_ACTION = "audit.chain_keyed"


class _Fields:
    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def seal_legacy_chain(event_model: Any, head_model: Any) -> int | None:
    """Append the keyed seal after the unkeyed events; its sequence number, or None.

    Nothing to do on an empty journal or when the newest event is already keyed. Takes the
    models as arguments so that the migration can pass its historical ones.
    """
    with transaction.atomic():
        head = head_model.objects.select_for_update().filter(id=1).first()
        last = event_model.objects.order_by("-seq").first()
        if last is None or last.key_version is not None:
            return None
        legacy = event_model.objects.filter(key_version__isnull=True).count()
        # After the head when newest events were deleted, so that verify still sees the gap.
        seq: int = max(last.seq, head.seq if head is not None else 0) + 1
        values: dict[str, Any] = {
            "seq": seq,
            "created_at": datetime.now(UTC),
            "actor_id": None,
            "actor_label": "système",
            "acting_as": "",
            "channel": "system",
            "ip": None,
            "structure_id": None,
            "action": SEAL_ACTION,
            "target_type": "",
            "target_id": "",
            "target_label": "",
            "detail": {"legacy_events": legacy, "legacy_last_seq": last.seq},
        }
        digest = event_hash(last.hash, hashed_fields(_Fields(values)))
        event_model.objects.create(**values, prev_hash=last.hash, hash=digest, key_version=KEYED)
        head_model.objects.update_or_create(id=1, defaults={"seq": seq, "hash": digest})
    return seq
