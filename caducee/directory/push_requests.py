"""A push to the national directory asked from the console or the API: a task, not a wait.

`request_push` records the request (audited, naming who asked) and enqueues the task
`caducee.directory.tasks.push_structure` once the request commits. The task claims the
request with a conditional UPDATE, so a duplicated or re-delivered task does nothing, then
runs `push.push` as the person who asked. `push.push` sends only the plan
(what changed since the last successful push), so running it again after a success sends
nothing. A transient failure (national directory down, timeout, HTTP 5xx) is retried with
backoff (CADUCEE_TASK_RETRY_SECONDS, CADUCEE_TASK_RETRY_ATTEMPTS); a refusal is final.

The CLI (`caducee directory push`) and the scheduled push (caducee/scheduler/builtin.py)
call `push.push` directly: they already run outside any web request.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context, context_args
from caducee.core.errors import Invalid
from caducee.directory.models import PENDING_PUSH_STATES, PushRequest, PushState
from caducee.directory.push import PushResult
from caducee.structures.access import require_admin
from caducee.structures.models import Structure
from caducee.tasks.dispatch import MAX_DELAY_SECONDS, enqueue_on_commit

RECENT = 10


def _now() -> datetime:
    return datetime.now(UTC)


def request_push(ctx: Context, structure: Structure) -> tuple[PushRequest, bool]:
    """Queue a push of the structure; (request, created). A push already waiting or running
    for the structure is returned instead of a second one (it will send every change)."""
    from caducee.directory.tasks import push_structure  # imports this module

    require_admin(ctx, structure)
    if not settings.DIRECTORY_PUSH_URL:
        raise Invalid(
            "Aucune adresse de publication configurée : renseignez CADUCEE_DIRECTORY_PUSH_URL."
        )
    with transaction.atomic():
        # Serialise requests of one structure (row lock on PostgreSQL; SQLite has one writer).
        Structure.objects.select_for_update().filter(pk=structure.pk).first()
        waiting = (
            PushRequest.objects.filter(structure=structure, state__in=PENDING_PUSH_STATES)
            .order_by("-created_at")
            .first()
        )
        if waiting is not None and not _abandoned(waiting):
            return waiting, False
        if waiting is not None:  # its task was lost (queue down when enqueued): start anew
            fail(waiting, "Abandonnée : sa tâche n'a pas été exécutée.", final=True)
        request = PushRequest.objects.create(
            structure=structure,
            requested_by=ctx.user,
            requested_label=ctx.actor_label[:254],
            channel=ctx.channel[:16],
            created_at=_now(),
        )
        record_event(
            ctx,
            AuditAction.DIRECTORY_PUSH_REQUEST,
            structure=structure,
            target=structure,
            detail={"request": request.pk},
        )
        enqueue_on_commit(push_structure, request.pk, context_args(ctx))
    return request, True


def recent(structure: Structure, limit: int = RECENT) -> list[PushRequest]:
    return list(
        PushRequest.objects.filter(structure=structure)
        .select_related("requested_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def stale_after() -> timedelta:
    """A request left `running` this long (its worker died) may be claimed again."""
    return timedelta(seconds=max(60, 4 * int(settings.DIRECTORY_PUSH_TIMEOUT)))


def _abandoned(request: PushRequest) -> bool:
    """No task touched the request for longer than the longest retry delay plus a run."""
    last = max(request.created_at, request.started_at or request.created_at)
    horizon = timedelta(seconds=MAX_DELAY_SECONDS) + stale_after() + timedelta(minutes=10)
    return last < _now() - horizon


def claim(request_id: int) -> PushRequest | None:
    """Mark the request running if it waits (or its worker died); None when another task
    has it or it is finished: the caller then does nothing."""
    now = _now()
    waiting = Q(state__in=(PushState.QUEUED, PushState.RETRYING)) | Q(
        state=PushState.RUNNING, started_at__lt=now - stale_after()
    )
    claimed = PushRequest.objects.filter(waiting, pk=request_id).update(
        state=PushState.RUNNING, started_at=now
    )
    if not claimed:
        return None
    return PushRequest.objects.select_related("structure").get(pk=request_id)


def finish(request: PushRequest, result: PushResult) -> None:
    _update(
        request,
        state=PushState.DONE,
        http_status=result.status,
        inserted=result.inserted,
        replaced=result.replaced,
        deleted=result.deleted,
        error="",
        finished_at=_now(),
    )


def fail(request: PushRequest, message: str, *, final: bool) -> None:
    """Record the error; the request waits for its retry unless `final`."""
    fields: dict[str, Any] = {"error": message}
    if final:
        fields |= {"state": PushState.FAILED, "finished_at": _now()}
    else:
        fields["state"] = PushState.RETRYING
    _update(request, **fields)


def count_attempt(request: PushRequest) -> None:
    _update(request, attempts=request.attempts + 1)


def _update(request: PushRequest, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(request, name, value)
    PushRequest.objects.filter(pk=request.pk).update(**fields)
