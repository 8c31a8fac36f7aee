"""The registry of periodic jobs: a name, an interval and a function.

Every job is registered once, at start-up, from an app's `AppConfig.ready()`
(`caducee.scheduler.builtin` registers the platform's own). This is also the slot where
later work plugs in: the lifecycle rules (issue #15, `caducee lifecycle run`) register a
job here from their app's `ready()`, e.g.::

    register(Job("lifecycle", "Règles de cycle de vie des comptes",
                 lambda: timedelta(minutes=settings.LIFECYCLE_MINUTES), run_lifecycle))

and nothing else changes: the scheduler runs it under the lease, records its last run
and error, and the console page lists it. When the task queue arrives, a job's function
can simply enqueue a task instead of doing the work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta


def _always() -> str:
    return ""


@dataclass(frozen=True)
class Job:
    name: str  # stable identifier, stored in JobState
    label: str  # French, shown on the console page
    interval: Callable[[], timedelta]  # read from settings at each run
    run: Callable[[], str]  # does the work; returns a short French summary
    # Why the job is switched off ("" when it runs), e.g. a setting left empty.
    disabled: Callable[[], str] = field(default=_always)


_JOBS: dict[str, Job] = {}


def register(job: Job) -> None:
    """Add (or replace, same name) a job; call from an AppConfig.ready()."""
    _JOBS[job.name] = job


def jobs() -> list[Job]:
    """Every registered job, in registration order."""
    return list(_JOBS.values())


def get(name: str) -> Job | None:
    return _JOBS.get(name)
