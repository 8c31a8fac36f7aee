"""Data migrations of the mail app: queued messages' bytes move from files to the database."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.utils import timezone

from caducee.mail import store
from caducee.mail.models import Outbound, OutboundBody

outbound_body_migration: Any = importlib.import_module(
    "caducee.mail.migrations.0004_rt_outbound_body"
)


def _row(path: str, state: str = "pending") -> Outbound:
    now = timezone.now()
    return Outbound.objects.create(
        sender="martine.dubois@ch-a.mssante.fr",
        recipient="dr.x@autre.mssante.fr",
        domain="autre.mssante.fr",
        path=path,
        state=state,
        next_attempt_at=now,
        created_at=now,
    )


def test_queued_files_are_copied_into_the_database(db: None) -> None:
    data = b"Subject: en attente\r\n\r\ncorps\r\n"
    path = store.write("queue", data)
    first, second = _row(path), _row(path, "sending")  # two recipients, one file
    done = _row(store.write("queue", b"Subject: parti\r\n\r\n"), "sent")
    lost = _row("queue/cur/absent:2,")  # the file is on another machine, or gone
    outside = _row("../../etc/hostname")
    outbound_body_migration.copy_queued_files(apps, None)
    [body] = OutboundBody.objects.all()
    assert bytes(body.data) == data and body.size == len(data)
    rows = {r.pk: r.body_id for r in Outbound.objects.all()}
    assert rows[first.pk] == rows[second.pk] == body.pk
    assert rows[done.pk] is None and rows[lost.pk] is None and rows[outside.pk] is None
    assert store.full_path(path).exists()  # removed by the worker once delivered
    outbound_body_migration.copy_queued_files(apps, None)  # running again changes nothing
    assert OutboundBody.objects.count() == 1
