"""« Tâches planifiées »: each scheduled job's last run, next run and last error, and the
task queues' state (operator)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from caducee.console.decorators import console_view, require_operator
from caducee.emails.report import summary
from caducee.scheduler.lease import current
from caducee.scheduler.models import JobState
from caducee.scheduler.registry import jobs
from caducee.tasks.status import queue_states, recent_failures


@console_view
def scheduler_jobs(request: HttpRequest) -> HttpResponse:
    require_operator(request)
    states = {s.name: s for s in JobState.objects.all()}
    rows: list[dict[str, Any]] = [
        {"job": job, "state": states.get(job.name), "disabled": job.disabled()} for job in jobs()
    ]
    lease = current()
    live = lease is not None and lease.expires_at > timezone.now()
    return render(
        request,
        "console/scheduler/jobs.html",
        {
            "rows": rows,
            "lease": lease if live else None,
            "emails": summary(),
            "queues": queue_states(),
            "failures": recent_failures(),
        },
    )
