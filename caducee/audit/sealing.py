"""Sealing the events written before the chain was keyed.

Events recorded before migration `0003_sec_audit_key` carry a plain SHA-256 hash
(`key_version` NULL). They are not rewritten: the migration appends one keyed event,
`audit.chain_keyed`, whose HMAC covers the last of them (its `prev_hash`). From then on:

- editing an old event breaks the link to that keyed event, which cannot be recomputed
  without the key;
- an unkeyed event after a keyed one, or a journal that ends with unkeyed events, is
  reported by `caducee audit verify` (someone rewrote the chain without the key).

Likewise, migration `0004_rt_audit_chains` freezes that global chain (new events go to
per-structure chains, caducee/audit/chains.py) and appends `audit.chains_split` as the
first event of the platform chain: its HMAC covers the global chain's last hash, so its
newest events cannot be cut off unnoticed either.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from caducee.audit.actions import AuditAction
from caducee.audit.chain import KEYED, event_hash, hashed_fields
from caducee.audit.chains import PLATFORM
from caducee.audit.numbering import advance_past

SEAL_ACTION = AuditAction.AUDIT_CHAIN_KEYED
SPLIT_ACTION = AuditAction.AUDIT_CHAINS_SPLIT


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
        values = _system_event(
            seq, SEAL_ACTION, {"legacy_events": legacy, "legacy_last_seq": last.seq}
        )
        digest = event_hash(last.hash, hashed_fields(_Fields(values)))
        event_model.objects.create(**values, prev_hash=last.hash, hash=digest, key_version=KEYED)
        head_model.objects.update_or_create(id=1, defaults={"seq": seq, "hash": digest})
        advance_past(seq)
    return seq


def _system_event(seq: int, action: str, detail: dict[str, Any]) -> dict[str, Any]:
    """The columns of an event the platform writes itself about its journal (no person)."""
    return {
        "seq": seq,
        "created_at": datetime.now(UTC),
        "actor_id": None,
        "actor_label": "système",
        "acting_as": "",
        "channel": "system",
        "ip": None,
        "structure_id": None,
        "action": action,
        "target_type": "",
        "target_id": "",
        "target_label": "",
        "detail": detail,
    }


def seal_global_chain(event_model: Any, head_model: Any, chain_head_model: Any) -> int | None:
    """Freeze the global chain: append `audit.chains_split` to the platform chain, linked to
    the global chain's last event; its sequence number, or None.

    Nothing to do on a journal without global-chain events, or once the platform chain has
    begun. Takes the models as arguments so that the migration can pass its historical ones.
    """
    with transaction.atomic():
        head = head_model.objects.select_for_update().filter(id=1).first()
        last = event_model.objects.filter(chain__isnull=True).order_by("-seq").first()
        if last is None or chain_head_model.objects.filter(chain=PLATFORM).exists():
            return None
        newest = event_model.objects.order_by("-seq").first()
        seq: int = max(newest.seq, head.seq if head is not None else 0) + 1
        detail = {
            "legacy_events": event_model.objects.filter(chain__isnull=True).count(),
            "legacy_last_seq": last.seq,
        }
        values = {**_system_event(seq, SPLIT_ACTION, detail), "chain": PLATFORM, "chain_seq": 1}
        digest = event_hash(last.hash, hashed_fields(_Fields(values)))
        event_model.objects.create(**values, prev_hash=last.hash, hash=digest, key_version=KEYED)
        chain_head_model.objects.create(chain=PLATFORM, length=1, seq=seq, hash=digest)
        advance_past(seq)
    return seq
