"""Readiness: can this process do its work? Database, storage and task queue reachable.

Each check raises on failure; `failures` names the failed ones (never an error's text,
which could carry a host name or a path: those go to the log).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from caducee.monitoring import queues

log = logging.getLogger("caducee.monitoring")

PROBE_DIR = "health"


def database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def storage() -> None:
    """Write, read back and delete a small file through the storage API."""
    content = secrets.token_hex(8).encode()
    name = default_storage.save(f"{PROBE_DIR}/probe-{secrets.token_hex(8)}", ContentFile(content))
    try:
        with default_storage.open(name, "rb") as handle:
            if handle.read() != content:
                raise OSError("the probe read back differs from what was written")
    finally:
        default_storage.delete(name)


def task_queue() -> None:
    queues.check()


CHECKS: dict[str, Callable[[], None]] = {
    "database": database,
    "storage": storage,
    "tasks": task_queue,
}


def failures() -> list[str]:
    """Names of the checks that failed, in order (empty when ready)."""
    failed = []
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:
            log.exception("readiness check %s failed", name)
            failed.append(name)
    return failed
