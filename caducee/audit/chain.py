"""Hash chaining of audit events."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=_default)
    return hashlib.sha256(f"{prev_hash}|{payload}".encode()).hexdigest()


def _default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def hashed_fields(event: Any) -> dict[str, Any]:
    """The event's content covered by its hash (everything but the hashes themselves)."""
    return {
        "seq": event.seq,
        "created_at": event.created_at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "acting_as": event.acting_as,
        "channel": event.channel,
        "ip": event.ip,
        "structure_id": event.structure_id,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "detail": event.detail,
    }
