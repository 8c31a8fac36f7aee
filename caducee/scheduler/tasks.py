"""The task through which a worker runs a scheduled job (enqueued by `runner.enqueue_due`)."""

from __future__ import annotations

from datetime import datetime

from django_tasks import task

from caducee.scheduler.registry import get
from caducee.scheduler.runner import claim_run, execute
from caducee.tasks.queues import DEFAULT
from caducee.tasks.worker import worker_id


@task(queue_name=DEFAULT)
def run_scheduled_job(name: str, due_at: str = "") -> str:
    """Run job `name` and record its last run, result or error in its JobState (its next
    run was set when it was enqueued). A job that failed is recorded, not raised: it runs
    again at its next run, it is not retried at once. Skipped when a run of the job
    started since it fell due, or is still going on (`runner.claim_run`)."""
    job = get(name)
    if job is None:  # unregistered since it was enqueued (a version without it)
        return f"Tâche planifiée inconnue : {name}."
    due = datetime.fromisoformat(due_at) if due_at else None
    if not claim_run(job, due, worker_id("scheduled")):
        return f"Tâche {name} déjà lancée depuis son échéance, ou encore en cours : sautée."
    ok = execute(job, set_next_run=False)
    return f"Tâche {name} : {'terminée' if ok else 'échec'}."
