"""The background task that builds a long export (operations.py)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from caducee.core.context import context_from_args
from caducee.core.errors import OperationError
from caducee.exports import operations
from caducee.tasks.queues import DEFAULT


@task(queue_name=DEFAULT)
def build_export(export_id: int, context: dict[str, Any]) -> str:
    export = operations.claim(export_id)
    if export is None:
        return "déjà traité"
    try:
        operations.build(context_from_args(context), export)
    except OperationError as exc:  # the person lost the right to export this structure
        operations.fail(export, exc.message)
        return exc.message
    except Exception:
        operations.fail(export, "Erreur inattendue : voir le journal du serveur.")
        raise
    return "prêt"
