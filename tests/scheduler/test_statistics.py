"""The daily refresh of SQLite's planner statistics (caducee/scheduler/statistics.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from caducee.mail.models import Message
from caducee.scheduler.registry import get
from caducee.scheduler.statistics import refresh_statistics
from caducee.structures.models import Structure
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_job_is_registered_and_off_only_on_postgresql() -> None:
    job = get("database_statistics")
    assert job is not None
    if connection.vendor == "sqlite":
        assert job.disabled() == ""
    else:
        assert "autovacuum" in job.disabled()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only: PostgreSQL analyses itself")
def test_it_gives_sqlite_the_statistics_of_the_message_indexes(structure_a: Structure) -> None:
    box = factories.make_account(structure_a, "PER")
    Message.objects.create(mailbox=box, received_at=timezone.now(), path="x/1")
    assert "SQLite" in refresh_statistics()
    with connection.cursor() as cursor:
        cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'mail_message'")
        indexes = {row[0] for row in cursor.fetchall()}
    assert "mail_list" in indexes
