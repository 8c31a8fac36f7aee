"""Background tasks of the directory: the push asked from the console or the API."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django_tasks import task

from caducee.core.context import context_from_args
from caducee.core.errors import OperationError
from caducee.directory import push_requests
from caducee.directory.push import PushUnreachable, push
from caducee.tasks.dispatch import retry_later
from caducee.tasks.queues import DEFAULT


@task(queue_name=DEFAULT)
def push_structure(request_id: int, context: dict[str, Any], attempt: int = 1) -> str:
    """Run one push request as the person who asked (see push_requests.py)."""
    request = push_requests.claim(request_id)
    if request is None:
        return "déjà traitée"
    push_requests.count_attempt(request)
    try:
        result = push(context_from_args(context), request.structure)
    except PushUnreachable as exc:
        final = attempt >= int(settings.TASK_RETRY_ATTEMPTS)
        push_requests.fail(request, exc.message, final=final)
        retry_later(push_structure, attempt, exc, request_id, context)
        return "nouvel essai prévu"
    except OperationError as exc:  # refused, or the person lost the right: final
        push_requests.fail(request, exc.message, final=True)
        return exc.message
    except Exception:
        push_requests.fail(request, "Erreur inattendue : voir le journal du serveur.", final=True)
        raise
    push_requests.finish(request, result)
    return "publiée"
