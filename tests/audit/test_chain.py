from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from caducee.audit.chain import GENESIS, KEYED, audit_key, derived_key, hashed_fields
from caducee.audit.models import AppendOnlyError, AuditChainHead, AuditEvent, AuditHead
from caducee.audit.sealing import seal_global_chain, seal_legacy_chain
from caducee.audit.verify import verify_chain
from caducee.cli.main import main
from caducee.config import ConfigError
from caducee.structures.models import Structure
from tests.factories import make_account


def _disable_guards() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        else:
            cursor.execute("SET LOCAL session_replication_role = replica")


@pytest.fixture
def events(structure_a: Structure) -> list[AuditEvent]:
    for _ in range(3):
        make_account(structure_a, "MED")
    return list(AuditEvent.objects.order_by("seq"))


def test_intact_chain_verifies(events: list[AuditEvent]) -> None:
    report = verify_chain()
    assert report.ok and report.checked == len(events)


def test_events_are_append_only_in_python(events: list[AuditEvent]) -> None:
    with pytest.raises(AppendOnlyError):
        events[0].save()
    with pytest.raises(AppendOnlyError):
        events[0].delete()


def test_database_refuses_updates(events: list[AuditEvent]) -> None:
    # Each backend words it differently; Django wraps them all in DatabaseError.
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=events[0].pk).update(action="forged")


def test_edited_event_is_detected(events: list[AuditEvent]) -> None:
    _disable_guards()
    AuditEvent.objects.filter(pk=events[1].pk).update(target_label="someone-else@x.fr")
    report = verify_chain()
    assert not report.ok
    assert any(f"n° {events[1].seq} " in p and "modifié" in p for p in report.problems)


def test_deleted_event_is_detected(events: list[AuditEvent]) -> None:
    _disable_guards()
    AuditEvent.objects.filter(pk=events[1].pk)._raw_delete(using="default")
    report = verify_chain()
    assert any("supprimé" in p for p in report.problems)


def test_deleted_last_event_is_detected(events: list[AuditEvent]) -> None:
    _disable_guards()
    AuditEvent.objects.filter(pk=events[-1].pk)._raw_delete(using="default")
    report = verify_chain()
    assert any("fin de journal" in p for p in report.problems)


# --- keyed chain (security review M5) ---------------------------------------------------


def _old_sha256(prev_hash: str, event: AuditEvent) -> str:
    """The hash of the original, unkeyed chain: what an attacker without the key computes."""
    payload = json.dumps(hashed_fields(event), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{prev_hash}|{payload}".encode()).hexdigest()


def _rewrite(edit: dict[int, dict[str, Any]], *, unkeyed: bool = False) -> None:
    """Attacker with database write access: edit events, recompute every hash and the head
    with plain SHA-256 (optionally marking the events as written before the key: then, as
    the original code wrote them, in one global chain numbered 1, 2, 3…, without per-chain
    heads)."""
    _disable_guards()
    prev = GENESIS
    for number, event in enumerate(AuditEvent.objects.order_by("seq"), start=1):
        changes = edit.get(event.seq, {})
        for name, value in changes.items():
            setattr(event, name, value)
        values: dict[str, Any] = dict(changes)
        if unkeyed:
            # Renumbered downwards in ascending order: never two events with one number.
            event.seq, event.chain, event.chain_seq = number, None, None
            values.update(key_version=None, seq=number, chain=None, chain_seq=None)
        values.update(prev_hash=prev, hash=_old_sha256(prev, event))
        AuditEvent.objects.filter(pk=event.pk).update(**values)
        prev = values["hash"]
    if unkeyed:
        AuditChainHead.objects.all().delete()
        AuditHead.objects.update_or_create(
            id=1, defaults={"seq": AuditEvent.objects.count(), "hash": prev}
        )
    AuditHead.objects.filter(id=1).update(hash=prev)


def _cli_verify(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["audit", "verify"])
    out, err = capsys.readouterr()
    return code, out + err


def test_events_are_keyed_not_plain_sha256(events: list[AuditEvent]) -> None:
    for event in events:
        assert event.key_version == KEYED
        assert event.hash != _old_sha256(event.prev_hash, event)


def test_rewrite_with_plain_sha256_is_detected_by_the_cli(
    events: list[AuditEvent], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _cli_verify(capsys)
    assert code == 0 and f"n° {events[-1].seq}, empreinte {events[-1].hash}" in out
    created = next(e for e in events if e.action == "account.create")
    _rewrite({created.seq: {"actor_label": "quelqu'un d'autre"}})
    code, out = _cli_verify(capsys)
    assert code == 1
    assert f"Événement n° {created.seq} (account.create" in out and "modifié" in out
    assert "Journal d'audit altéré" in out


def test_rewrite_as_unkeyed_events_is_detected(
    events: list[AuditEvent], capsys: pytest.CaptureFixture[str]
) -> None:
    # Downgrade: every event marked as written before the key, hashes recomputed.
    _rewrite({events[0].seq: {"target_label": "autre@x.fr"}}, unkeyed=True)
    code, out = _cli_verify(capsys)
    assert code == 1
    assert f"se termine par un événement non signé (n° {len(events)})" in out


def test_unkeyed_event_after_keyed_ones_is_detected(events: list[AuditEvent]) -> None:
    _disable_guards()
    event = events[1]
    AuditEvent.objects.filter(pk=event.pk).update(
        key_version=None, hash=_old_sha256(event.prev_hash, event)
    )
    report = verify_chain()
    assert any(
        f"n° {event.seq} " in p and "non signée après le passage" in p for p in report.problems
    )


def _make_legacy() -> list[AuditEvent]:
    """The journal as the original code wrote it: plain SHA-256, no key version."""
    _rewrite({}, unkeyed=True)
    return list(AuditEvent.objects.order_by("seq"))


def test_events_written_before_the_key_are_sealed_and_still_verify(
    events: list[AuditEvent], structure_a: Structure
) -> None:
    legacy = _make_legacy()
    assert not verify_chain().ok  # a journal ending unkeyed: what the migration seals
    seq = seal_legacy_chain(AuditEvent, AuditHead)
    assert seq == legacy[-1].seq + 1
    seal = AuditEvent.objects.get(seq=seq)
    assert seal.action == "audit.chain_keyed" and seal.key_version == KEYED
    assert seal.prev_hash == legacy[-1].hash and seal.detail["legacy_events"] == len(legacy)
    assert seal_legacy_chain(AuditEvent, AuditHead) is None  # once only
    # Migration 0004 then freezes the global chain and starts the platform chain.
    split = seal_global_chain(AuditEvent, AuditHead, AuditChainHead)
    assert split == seq + 1
    assert seal_global_chain(AuditEvent, AuditHead, AuditChainHead) is None  # once only
    make_account(structure_a, "PER")
    report = verify_chain()
    assert report.ok, report.problems
    assert report.checked == AuditEvent.objects.count() > len(legacy) + 2


def test_sealed_old_events_cannot_be_rewritten(events: list[AuditEvent]) -> None:
    legacy = _make_legacy()
    seq = seal_legacy_chain(AuditEvent, AuditHead)
    _disable_guards()
    # The attacker edits an old event and recomputes the old part of the chain; the seal's
    # HMAC covers the old last hash, so its link (or its own hash) no longer matches.
    prev = GENESIS
    for event in AuditEvent.objects.filter(seq__lt=seq).order_by("seq"):
        if event.seq == legacy[0].seq:
            event.target_label = "autre@x.fr"
        digest = _old_sha256(prev, event)
        AuditEvent.objects.filter(pk=event.pk).update(
            target_label=event.target_label, prev_hash=prev, hash=digest
        )
        prev = digest
    report = verify_chain()
    assert any(f"n° {seq} " in p for p in report.problems), report.problems


def test_the_key_comes_from_the_environment_setting(events: list[AuditEvent]) -> None:
    assert verify_chain().ok
    with override_settings(AUDIT_KEY="k" * 40):
        assert audit_key() == b"k" * 40
        report = verify_chain()  # another key: every keyed event fails, with a hint
        assert not report.ok
        assert any("CADUCEE_AUDIT_KEY" in p for p in report.problems)
    with override_settings(AUDIT_KEY="court"), pytest.raises(ConfigError):
        audit_key()


def test_the_derived_key_can_be_pinned_before_the_secret_key_changes(
    events: list[AuditEvent],
) -> None:
    pinned = derived_key(str(settings.SECRET_KEY))
    with override_settings(SECRET_KEY="une-autre-cle-secrete-" * 3, AUDIT_KEY=pinned):
        assert verify_chain().ok
    with override_settings(SECRET_KEY="une-autre-cle-secrete-" * 3):
        assert not verify_chain().ok
