"""The scheduler job deleting expired exports (registered from ExportsConfig.ready())."""

from __future__ import annotations

from datetime import timedelta

from caducee.scheduler.registry import Job, register

INTERVAL = timedelta(hours=1)


def purge() -> str:
    from caducee.exports.operations import purge_expired

    return f"{purge_expired()} export(s) expiré(s) supprimé(s)."


def register_job() -> None:
    register(Job("exports_purge", "Suppression des exports expirés", lambda: INTERVAL, purge))
