"""Builders for export tests: a structure with a few accounts, an export asked and built."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from caducee.core.context import Context
from caducee.exports.models import ExportFile
from caducee.exports.operations import request_export
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.task_queue import run_ready_tasks

Capture = Callable[..., Any]


def fill(structure: Structure, count: int = 3) -> None:
    for n in range(count):
        factories.make_account(structure, "MED", f"med{n}@{structure.pk}.example.org")


def built_export(
    capture: Capture, user: User, structure: Structure, fmt: str = "csv"
) -> ExportFile:
    with capture(execute=True):
        export = request_export(Context(user=user), structure, "accounts", fmt)
    run_ready_tasks()
    export.refresh_from_db()
    return export
