"""The scheduler job of the lifecycle rules: `caducee lifecycle run`, once per interval."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from caducee.scheduler.registry import Job, register

NAME = "lifecycle"


def run() -> str:
    from caducee.core.context import system_context
    from caducee.lifecycle.operations import run_lifecycle

    return run_lifecycle(system_context("lifecycle")).text


def interval() -> timedelta:
    return timedelta(minutes=max(1, int(settings.SCHEDULER_LIFECYCLE_MINUTES)))


def register_job() -> None:
    register(
        Job(
            NAME,
            "Cycle de vie des comptes (péremption, inactivité, suppression)",
            interval,
            run,
        )
    )
