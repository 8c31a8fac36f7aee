from __future__ import annotations

import pytest
from django.db import connection, transaction

from caducee.audit.models import AppendOnlyError, AuditEvent
from caducee.audit.verify import verify_chain
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
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017 (driver-specific error)
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
