"""Long exports: asked, built by the task into storage, downloaded, expired and purged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.storage import default_storage
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from caducee.audit.models import AuditEvent
from caducee.core.context import Context, context_args
from caducee.core.errors import Invalid, NotFound
from caducee.exports.access import access_export
from caducee.exports.kinds import ACCOUNTS
from caducee.exports.models import ExportFile, ExportState
from caducee.exports.operations import (
    in_background,
    open_file,
    purge_expired,
    request_export,
)
from caducee.exports.tasks import build_export
from caducee.people.models import User
from caducee.scheduler.registry import get
from caducee.structures.models import Structure
from tests import factories
from tests.exports.helpers import Capture, built_export, fill
from tests.task_queue import run_ready_tasks

pytestmark = pytest.mark.django_db


def test_the_threshold_decides(structure_a: Structure) -> None:
    fill(structure_a, 3)
    with override_settings(EXPORT_BACKGROUND_ROWS=3):
        assert not in_background(ACCOUNTS, structure_a)
    with override_settings(EXPORT_BACKGROUND_ROWS=2):
        assert in_background(ACCOUNTS, structure_a)


def test_a_large_export_is_written_to_storage_by_the_task(
    structure_a: Structure, alice: User, django_capture_on_commit_callbacks: Capture
) -> None:
    fill(structure_a, 3)
    with django_capture_on_commit_callbacks(execute=True):
        export = request_export(Context(user=alice), structure_a, "accounts", "csv")
    assert export.state == ExportState.QUEUED
    task = DBTaskResult.objects.get()
    assert task.queue_name == "default"
    assert run_ready_tasks() == 1
    export.refresh_from_db()
    assert export.state == ExportState.READY and export.rows == 3
    assert export.file_name.startswith("exports/") and export.file_name.endswith(".csv")
    with default_storage.open(export.file_name, "rb") as data:
        text = data.read().decode("utf-8-sig")
    assert text.startswith("Adresse mail") and "med2@" in text
    assert export.size == default_storage.size(export.file_name)
    now = datetime.now(UTC)
    assert now + timedelta(days=6) < export.expires_at <= now + timedelta(days=7)
    asked = AuditEvent.objects.get(action="export.request")
    assert asked.actor == alice and asked.structure == structure_a
    assert asked.detail == {"export": export.pk, "kind": "accounts", "format": "csv"}


def test_xlsx_too(
    structure_a: Structure, alice: User, django_capture_on_commit_callbacks: Capture
) -> None:
    fill(structure_a, 2)
    export = built_export(django_capture_on_commit_callbacks, alice, structure_a, "xlsx")
    with default_storage.open(export.file_name, "rb") as data:
        assert data.read(2) == b"PK"


def test_a_duplicated_task_builds_nothing_twice(
    structure_a: Structure, alice: User, django_capture_on_commit_callbacks: Capture
) -> None:
    export = built_export(django_capture_on_commit_callbacks, alice, structure_a)
    before, _files = default_storage.listdir("exports")
    build_export.enqueue(export.pk, context_args(Context(user=alice)))
    assert run_ready_tasks() == 1
    again = ExportFile.objects.get(pk=export.pk)
    assert again.file_name == export.file_name and again.finished_at == export.finished_at
    assert default_storage.listdir("exports")[0] == before


def test_the_download_is_audited(
    structure_a: Structure, alice: User, django_capture_on_commit_callbacks: Capture
) -> None:
    export = built_export(django_capture_on_commit_callbacks, alice, structure_a)
    with open_file(Context(user=alice), export) as data:
        assert data.read().decode("utf-8-sig").startswith("Adresse mail")
    event = AuditEvent.objects.get(action="export.download")
    assert event.actor == alice and event.detail["export"] == export.pk


def test_only_the_person_who_asked_and_the_operator_see_it(
    structure_a: Structure,
    alice: User,
    bob: User,
    charlie: User,
    operator: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    colleague = factories.make_admin(structure_a, "colleague@ch-a.fr")
    export = built_export(django_capture_on_commit_callbacks, alice, structure_a)
    assert access_export(alice, export.pk) == export
    assert access_export(operator, export.pk) == export
    for other in (colleague, bob, charlie, None):
        with pytest.raises(NotFound):
            access_export(other, export.pk)


def test_someone_who_lost_the_right_gets_nothing(
    structure_a: Structure, alice: User, django_capture_on_commit_callbacks: Capture
) -> None:
    from caducee.structures.models import StructureAdmin

    with django_capture_on_commit_callbacks(execute=True):
        export = request_export(Context(user=alice), structure_a, "accounts", "csv")
    StructureAdmin.objects.filter(user=alice).delete()
    run_ready_tasks()
    export.refresh_from_db()
    assert export.state == ExportState.FAILED and not export.file_name
    with pytest.raises(NotFound):
        access_export(alice, export.pk)


def test_bad_requests_are_refused(structure_a: Structure, alice: User, bob: User) -> None:
    with pytest.raises(Invalid, match="csv ou xlsx"):
        request_export(Context(user=alice), structure_a, "accounts", "pdf")
    with pytest.raises(NotFound):
        request_export(Context(user=alice), structure_a, "inconnu", "csv")
    with pytest.raises(NotFound):
        request_export(Context(user=bob), structure_a, "accounts", "csv")
    assert not ExportFile.objects.exists()


def test_a_pending_export_cannot_be_downloaded(structure_a: Structure, alice: User) -> None:
    export = request_export(Context(user=alice), structure_a, "accounts", "csv")
    with pytest.raises(Invalid, match="pas encore prêt"):
        open_file(Context(user=alice), export)


def test_expired_exports_are_purged_by_the_scheduler_job(
    structure_a: Structure, alice: User, django_capture_on_commit_callbacks: Capture
) -> None:
    old = built_export(django_capture_on_commit_callbacks, alice, structure_a)
    fresh = built_export(django_capture_on_commit_callbacks, alice, structure_a)
    ExportFile.objects.filter(pk=old.pk).update(expires_at=datetime.now(UTC) - timedelta(1))
    job = get("exports_purge")
    assert job is not None and job.interval() == timedelta(hours=1)
    assert job.run() == "1 export(s) expiré(s) supprimé(s)."
    assert not default_storage.exists(old.file_name)
    assert default_storage.exists(fresh.file_name)
    assert list(ExportFile.objects.all()) == [fresh]
    assert purge_expired(datetime.now(UTC) + timedelta(days=8)) == 1
    assert not default_storage.exists(fresh.file_name)


def test_a_file_gone_from_storage_is_a_clear_message(
    structure_a: Structure, alice: User, django_capture_on_commit_callbacks: Capture
) -> None:
    export = built_export(django_capture_on_commit_callbacks, alice, structure_a)
    default_storage.delete(export.file_name)
    with pytest.raises(Invalid, match="plus disponible"):
        open_file(Context(user=alice), export)
