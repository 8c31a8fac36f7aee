"""The background task of import jobs, on the `imports` queue."""

from __future__ import annotations

from django_tasks import task

from caducee.core.context import Context
from caducee.tasks.queues import IMPORTS


def rebuild_context(
    user_id: int | None, channel: str, ip: str | None, label: str
) -> Context | None:
    """The acting person of the upload; None when their login no longer exists."""
    from caducee.people.models import User

    if user_id is None:
        if channel not in {"cli", "system"}:
            return None  # a web or API upload whose person was deleted since
        return Context(user=None, channel=channel, ip=ip, label=label)
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    return Context(user=user, channel=channel, ip=ip, label=label)


@task(queue_name=IMPORTS)
def run_import(
    job_id: int, dry_run: bool, user_id: int | None, channel: str, ip: str | None, label: str
) -> str:
    """Claim import job `job_id` and run it (a dry run for the preview); its outcome."""
    from caducee.loadusers.job_run import run

    return run(job_id, dry_run=dry_run, ctx=rebuild_context(user_id, channel, ip, label))
