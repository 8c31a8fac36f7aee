"""Keyed hash chaining of audit events.

Each event's hash is an HMAC-SHA256, under the audit key, of the previous event's hash and
the event's canonical JSON. The key is never stored in the database: someone who can
write the database but does not hold the key cannot rewrite an event and recompute the
chain without `caducee audit verify` noticing.

The key comes from CADUCEE_AUDIT_KEY (or the file named by CADUCEE_AUDIT_KEY_FILE); without
it, it is derived from the secret key with a fixed label (docs/CONFIGURATION.md).

`key_version` of each event says how its hash was computed:
- `LEGACY` (NULL): plain SHA-256, events written before the chain was keyed (they are
  verified with that algorithm, and sealed by the first keyed event, see `sealing.py`);
- `KEYED` (1): HMAC-SHA256 with the audit key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from django.conf import settings

from caducee.config import ConfigError

GENESIS = "0" * 64
LEGACY: int | None = None
KEYED = 1
KEY_LABEL = b"caducee.audit.chain.v1"
MIN_KEY_CHARS = 32


def audit_key() -> bytes:
    """The chain's HMAC key: CADUCEE_AUDIT_KEY, else derived from the secret key."""
    configured = str(getattr(settings, "AUDIT_KEY", "") or "")
    if configured:
        if len(configured) < MIN_KEY_CHARS:
            raise ConfigError(
                f"CADUCEE_AUDIT_KEY doit compter au moins {MIN_KEY_CHARS} caractères "
                '(par exemple : python3 -c "import secrets; print(secrets.token_urlsafe(48))").'
            )
        return configured.encode()
    # HKDF-Extract-like derivation with a fixed label: a key of its own, so that the
    # audit MAC never equals another use of the secret key. In hex, so that it can be
    # pinned as CADUCEE_AUDIT_KEY before the secret key changes (docs/CONFIGURATION.md).
    return derived_key(str(settings.SECRET_KEY)).encode()


def derived_key(secret_key: str) -> str:
    """The audit key used when CADUCEE_AUDIT_KEY is not set: hex HMAC of a fixed label."""
    return hmac.new(secret_key.encode(), KEY_LABEL, hashlib.sha256).hexdigest()


def _payload(prev_hash: str, fields: dict[str, Any]) -> bytes:
    # `_CANONICAL.encode(fields)` is `json.dumps(fields, sort_keys=True, ensure_ascii=False,
    # default=_default)`, without building an encoder per event (issue #19: the import).
    return f"{prev_hash}|{_CANONICAL.encode(fields)}".encode()


def legacy_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """The unkeyed SHA-256 of events written before the chain was keyed."""
    return hashlib.sha256(_payload(prev_hash, fields)).hexdigest()


def event_hash(prev_hash: str, fields: dict[str, Any], key: bytes | None = None) -> str:
    """The keyed hash of an event (HMAC-SHA256); `key` defaults to `audit_key()`."""
    # hmac.digest: the same HMAC as hmac.new(...).hexdigest(), in one call.
    return hmac.digest(
        key if key is not None else audit_key(), _payload(prev_hash, fields), "sha256"
    ).hex()


def hash_for(version: int | None, prev_hash: str, fields: dict[str, Any], key: bytes) -> str | None:
    """The hash an event of this key version should carry; None for an unknown version."""
    if version == KEYED:
        return event_hash(prev_hash, fields, key)
    if version is LEGACY:
        return legacy_hash(prev_hash, fields)
    return None


def _default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=_default)


def hashed_fields(event: Any) -> dict[str, Any]:
    """The event's content covered by its hash (everything but the hashes themselves).

    The chain and the position in it are covered for events written in a per-structure
    chain (since migration 0004): moving an event to another chain breaks its hash. Events
    of the older global chain (chain NULL) keep the fields they were hashed with.
    """
    fields = {
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
    chain = getattr(event, "chain", None)
    if chain is not None:
        fields["chain"] = chain
        fields["chain_seq"] = getattr(event, "chain_seq", None)
    return fields
