"""One audit chain per structure (and one for the platform): no global lock, and `verify`
still detects every edit and deletion, on each chain."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from itertools import pairwise
from typing import Any, cast

import pytest
from django.db import close_old_connections, connection, transaction

from caducee.audit.actions import AuditAction
from caducee.audit.chains import PLATFORM
from caducee.audit.log import AuditItem, TargetRef, record_event, record_many
from caducee.audit.models import AuditChainHead, AuditEvent
from caducee.audit.verify import verify_chain
from caducee.core.context import system_context
from caducee.structures.models import Structure
from tests.factories import make_structure


def act(code: str) -> AuditAction:
    """An action code only these tests write (the chains do not care which action it is)."""
    return cast(AuditAction, code)


CTX = system_context("tests")


def _disable_guards() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        else:
            cursor.execute("SET LOCAL session_replication_role = replica")


def _chain(key: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(chain=key).order_by("chain_seq"))


def _fill(structure_a: Structure, structure_b: Structure) -> dict[str, int]:
    """Events interleaved in the two structures' chains and the platform chain."""
    for n in range(3):
        record_event(CTX, act("test.a"), structure=structure_a, detail={"n": n})
        record_event(CTX, act("test.b"), structure=structure_b, detail={"n": n})
        record_event(CTX, act("test.platform"), detail={"n": n})
    return {"a": structure_a.pk, "b": structure_b.pk, "platform": PLATFORM}


def test_each_structure_has_its_own_chain(structure_a: Structure, structure_b: Structure) -> None:
    keys = _fill(structure_a, structure_b)
    for key in keys.values():
        events = _chain(key)
        assert [e.chain_seq for e in events][-3:] == [len(events) - 2, len(events) - 1, len(events)]
        assert all(e.prev_hash == p.hash for p, e in pairwise(events))
        assert [e.seq for e in events] == sorted(e.seq for e in events)  # global order kept
        head = AuditChainHead.objects.get(chain=key)
        assert (head.length, head.seq, head.hash) == (len(events), events[-1].seq, events[-1].hash)
    assert {e.chain for e in AuditEvent.objects.filter(structure=structure_a)} == {keys["a"]}
    report = verify_chain()
    assert report.ok, report.problems
    assert report.checked == AuditEvent.objects.count()


def test_the_cli_prints_the_head_of_each_chain(
    structure_a: Structure, structure_b: Structure, capsys: pytest.CaptureFixture[str]
) -> None:
    from caducee.cli.main import main

    _fill(structure_a, structure_b)
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    for key, name in ((structure_a.pk, "structure n° "), (PLATFORM, "plateforme")):
        last = _chain(key)[-1]
        assert (
            f"{name}{structure_a.pk if key else ''} : n° {last.seq}, empreinte {last.hash}" in out
        )


def test_record_many_appends_to_each_chain_in_order(
    structure_a: Structure, structure_b: Structure
) -> None:
    record_event(CTX, act("test.before"), structure=structure_b)
    items: list[AuditItem] = [
        (
            act("test.bulk"),
            structure_a if n % 2 else structure_b.pk,
            TargetRef("account", str(n), f"c{n}"),
            {"n": n},
        )
        for n in range(7)
    ] + [(act("test.bulk"), None, None, {})]
    assert record_many(CTX, items, batch_size=3) == 8
    bulk = list(AuditEvent.objects.filter(action="test.bulk").order_by("seq"))
    assert [e.detail.get("n") for e in bulk] == [*range(7), None]  # global order = call order
    in_a = _chain(structure_a.pk)
    assert [(e.action, e.chain_seq) for e in in_a][-3:] == [
        ("test.bulk", len(in_a) - 2),
        ("test.bulk", len(in_a) - 1),
        ("test.bulk", len(in_a)),
    ]
    in_b = _chain(structure_b.pk)
    assert [e.action for e in in_b][-5:] == ["test.before"] + ["test.bulk"] * 4
    assert AuditChainHead.objects.get(chain=structure_b.pk).length == len(in_b)
    report = verify_chain()
    assert report.ok, report.problems


CHAINS = ["a", "b", "platform"]


@pytest.mark.parametrize("which", CHAINS)
def test_edit_is_detected_on_each_chain(
    which: str, structure_a: Structure, structure_b: Structure
) -> None:
    event = _chain(_fill(structure_a, structure_b)[which])[-2]
    _disable_guards()
    AuditEvent.objects.filter(pk=event.pk).update(detail={"n": 99})
    report = verify_chain()
    assert [p for p in report.problems if "modifié" in p] == [
        f"Événement n° {event.seq} ({event.action}, {event.created_at:%d/%m/%Y %H:%M:%S}) "
        "modifié après son enregistrement."
    ]


@pytest.mark.parametrize("which", CHAINS)
def test_deletion_in_the_middle_is_detected_on_each_chain(
    which: str, structure_a: Structure, structure_b: Structure
) -> None:
    events = _chain(_fill(structure_a, structure_b)[which])
    _disable_guards()
    AuditEvent.objects.filter(pk=events[-2].pk)._raw_delete(using="default")
    report = verify_chain()
    assert any(
        "1 événement(s) supprimé(s)" in p and f"n° {events[-1].seq}." in p for p in report.problems
    ), report.problems


@pytest.mark.parametrize("which", CHAINS)
def test_deletion_of_the_newest_event_is_detected_on_each_chain(
    which: str, structure_a: Structure, structure_b: Structure
) -> None:
    events = _chain(_fill(structure_a, structure_b)[which])
    _disable_guards()
    AuditEvent.objects.filter(pk=events[-1].pk)._raw_delete(using="default")
    report = verify_chain()
    assert any(
        "supprimé(s) en fin de journal" in p and f"n° {events[-1].seq})" in p
        for p in report.problems
    ), report.problems


def test_deleting_a_whole_chain_is_detected_by_its_head(
    structure_a: Structure, structure_b: Structure
) -> None:
    key = _fill(structure_a, structure_b)["a"]
    _disable_guards()
    AuditEvent.objects.filter(chain=key)._raw_delete(using="default")
    assert any("en fin de journal" in p for p in verify_chain().problems)
    AuditChainHead.objects.filter(chain=key).delete()
    events = _chain(PLATFORM)
    AuditEvent.objects.filter(pk=events[-1].pk)._raw_delete(using="default")
    AuditChainHead.objects.filter(chain=PLATFORM).delete()  # head gone, not its events
    assert any("tête de chaîne est absente" in p for p in verify_chain().problems)


def test_moving_an_event_to_another_chain_is_detected(
    structure_a: Structure, structure_b: Structure
) -> None:
    keys = _fill(structure_a, structure_b)
    event = _chain(keys["a"])[-2]
    _disable_guards()
    head = AuditChainHead.objects.get(chain=keys["b"])  # appended at the end of B's chain
    AuditEvent.objects.filter(pk=event.pk).update(
        chain=keys["b"], chain_seq=head.length + 1, prev_hash=head.hash
    )
    AuditChainHead.objects.filter(chain=keys["b"]).update(
        length=head.length + 1, seq=event.seq, hash=event.hash
    )
    problems = verify_chain().problems
    assert any(f"n° {event.seq} " in p and "modifié" in p for p in problems), problems
    assert any("supprimé(s)" in p for p in problems)  # the gap it left in its chain


def test_an_unkeyed_event_in_a_chain_is_a_downgrade(
    structure_a: Structure, structure_b: Structure
) -> None:
    event = _chain(_fill(structure_a, structure_b)["b"])[-1]
    _disable_guards()
    AuditEvent.objects.filter(pk=event.pk).update(key_version=None)
    assert any(f"n° {event.seq} " in p and "non signée" in p for p in verify_chain().problems)


# --- no global lock (PostgreSQL: on SQLite the database serialises every writer) ---------

HOLD = 5.0  # seconds: far longer than a record takes, far shorter than the test timeout


def _needs_row_locks() -> None:
    if connection.vendor == "sqlite":
        pytest.skip(
            "SQLite serialises every writing transaction (BEGIN IMMEDIATE): the per-chain "
            "locks only matter on PostgreSQL, where this test runs (PG pass of the suite)."
        )


class _Holder(threading.Thread):
    """Records in a structure's chain, then keeps its transaction open until released."""

    def __init__(self, write: Callable[[], object]) -> None:
        super().__init__(daemon=True)
        self.write = write
        self.recorded = threading.Event()
        self.release = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with transaction.atomic():
                self.write()
                self.recorded.set()
                self.release.wait(HOLD * 4)
        except BaseException as error:  # reported by the test thread
            self.error = error
        finally:
            close_old_connections()
            connection.close()


def _timed(write: Callable[[], object]) -> tuple[threading.Thread, threading.Event, list[float]]:
    done = threading.Event()
    took: list[float] = []

    def run() -> None:
        start = time.monotonic()
        try:
            with transaction.atomic():
                write()
            took.append(time.monotonic() - start)
            done.set()
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done, took


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("bulk", [False, True], ids=["record", "record_many"])
def test_two_structures_never_wait_for_each_other(bulk: bool) -> None:
    _needs_row_locks()
    a, b = make_structure("Structure A"), make_structure("Structure B")
    record_event(CTX, act("test.first"), structure=a)
    record_event(CTX, act("test.first"), structure=b)

    def write_a() -> None:
        if bulk:  # an import: many events of structure A in one long transaction
            record_many(CTX, [(act("test.import"), a, None, {"n": n}) for n in range(500)])
        else:
            record_event(CTX, act("test.held"), structure=a)

    holder = _Holder(write_a)
    holder.start()
    assert holder.recorded.wait(HOLD), holder.error
    # Structure A's chain head is locked by the open transaction; B and the platform go on.
    for structure in (b, None):
        thread, done, took = _timed(
            partial(record_event, CTX, act("test.other"), structure=structure)
        )
        assert done.wait(HOLD), "an action in another chain waited for structure A's"
        thread.join(HOLD)
        assert took[0] < HOLD
    assert holder.is_alive()  # still open: nothing waited for it
    holder.release.set()
    holder.join(HOLD)
    assert holder.error is None
    report = verify_chain()
    assert report.ok, report.problems


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("new_chain", [False, True], ids=["existing", "first-event"])
def test_the_same_structure_waits_then_both_commit(new_chain: bool) -> None:
    _needs_row_locks()
    if new_chain:  # no event yet: both transactions race to create the chain's head
        a = Structure.objects.create(name="Structure A", id_type="FINESS_EJ", id_number="1")
        assert not AuditChainHead.objects.filter(chain=a.pk).exists()
    else:
        a = make_structure("Structure A")
        record_event(CTX, act("test.first"), structure=a)
    holder = _Holder(lambda: record_event(CTX, act("test.held"), structure=a))
    holder.start()
    assert holder.recorded.wait(HOLD), holder.error
    thread, done, _ = _timed(lambda: record_event(CTX, act("test.second"), structure=a))
    assert not done.wait(1.0), "two actions of one structure must be chained one after the other"
    holder.release.set()
    holder.join(HOLD)
    assert done.wait(HOLD) and holder.error is None
    thread.join(HOLD)
    events = _chain(a.pk)
    assert [e.action for e in events][-2:] == ["test.held", "test.second"]
    assert [e.chain_seq for e in events] == list(range(1, len(events) + 1))
    report = verify_chain()
    assert report.ok, report.problems


def test_record_many_stores_and_hashes_details_as_record_event(structure_a: Structure) -> None:
    """Each detail is encoded once (issue #19): what is stored, read back and hashed is what
    `record_event` stores (its JSON round trip), whatever the detail holds."""
    from datetime import UTC, datetime
    from decimal import Decimal

    details: list[dict[Any, Any]] = [
        {"é": "Zoé « ünï »\n\t\\", "n": 1.5, "big": 10**20},
        {"nested": {"b": [1, (2, 3)], "a": None, "c": {"z": True, "y": False}}},
        {3: "clé entière", "2": "clé texte", "when": datetime(2026, 12, 7, tzinfo=UTC)},
        {"dec": Decimal("1.10"), "set": "x", "empty": {}, "list": []},
        {},
    ]
    for detail in details:
        record_event(CTX, act("test.one"), structure=structure_a, detail=detail)
    record_many(
        CTX, [(act("test.many"), structure_a, TargetRef("x", "1", "x"), d) for d in details]
    )
    one = [e.detail for e in AuditEvent.objects.filter(action="test.one").order_by("seq")]
    many = [e.detail for e in AuditEvent.objects.filter(action="test.many").order_by("seq")]
    assert many == one and len(many) == len(details)
    assert many[2] == {"3": "clé entière", "2": "clé texte", "when": "2026-12-07 00:00:00+00:00"}
    report = verify_chain()
    assert report.ok, report.problems
