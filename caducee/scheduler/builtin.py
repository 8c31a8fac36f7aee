"""The platform's own scheduled jobs. Intervals come from settings (docs/CONFIGURATION.md)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from caducee.core.context import system_context
from caducee.core.errors import OperationError
from caducee.scheduler import purges
from caducee.scheduler.registry import Job, register


def _minutes(setting: str, default: int) -> timedelta:
    return timedelta(minutes=max(1, int(getattr(settings, setting, default))))


def refresh_whitelist() -> str:
    from caducee.mail.whitelist import refresh

    count = refresh(system_context("scheduler"))
    return f"Liste blanche rechargée : {count} domaine(s)."


def push_directory() -> str:
    """Push each structure whose published entries changed (none sent, none audited, else)."""
    from caducee.directory.publication import plan, push
    from caducee.structures.models import Structure

    pushed = 0
    failures: list[str] = []
    for structure in Structure.objects.order_by("pk"):
        if plan(structure).empty:
            continue
        try:
            push(system_context("scheduler"), structure)
        except Exception as exc:  # one structure's failure does not stop the others
            from caducee.scheduler.runner import error_text

            failures.append(f"{structure.name} : {error_text(exc)}")
            continue
        pushed += 1
    if failures:
        raise OperationError(
            f"{len(failures)} structure(s) non publiée(s), {pushed} publiée(s). "
            + " ".join(failures)
        )
    return f"{pushed} structure(s) publiée(s) dans l'annuaire national."


def refresh_national_directory() -> str:
    """Download the national extraction from CADUCEE_DIRECTORY_NATIONAL_URL and load it."""
    from caducee.directory.national import download
    from caducee.directory.operations import import_national_directory

    url = settings.DIRECTORY_NATIONAL_URL
    path = download(url)
    try:
        summary = import_national_directory(system_context("scheduler"), path, source=url)
    finally:
        path.unlink(missing_ok=True)
    return (
        f"Annuaire national rechargé : {summary.entries} boîte(s) d'autres opérateurs, "
        f"{summary.lines_skipped} ligne(s) écartée(s)."
    )


def _national_off() -> str:
    return (
        ""
        if settings.DIRECTORY_NATIONAL_URL
        else "CADUCEE_DIRECTORY_NATIONAL_URL n'est pas défini."
    )


def _whitelist_off() -> str:
    return "" if settings.MSSANTE_WHITELIST else "CADUCEE_MSSANTE_WHITELIST n'est pas défini."


def _directory_off() -> str:
    return "" if settings.DIRECTORY_PUSH_URL else "CADUCEE_DIRECTORY_PUSH_URL n'est pas défini."


def register_all() -> None:
    purge = "SCHEDULER_PURGE_MINUTES"
    register(
        Job(
            "purge_sessions",
            "Purge des sessions expirées",
            lambda: _minutes(purge, 60),
            lambda: purges.purge_sessions(),
        )
    )
    register(
        Job(
            "purge_identity",
            "Purge des codes de connexion, liens à usage unique et compteurs d'échecs périmés",
            lambda: _minutes(purge, 60),
            lambda: purges.purge_identity(),
        )
    )
    register(
        Job(
            "purge_mail_queue",
            "Purge des envois terminés de la file de messagerie",
            lambda: _minutes(purge, 60),
            lambda: purges.purge_mail_queue(),
        )
    )
    register(
        Job(
            "purge_tasks",
            "Purge des tâches en arrière-plan terminées",
            lambda: _minutes(purge, 60),
            lambda: purges.purge_tasks(),
        )
    )
    register(
        Job(
            "whitelist",
            "Rechargement de la liste blanche MSSanté",
            lambda: _minutes("SCHEDULER_WHITELIST_MINUTES", 1440),
            refresh_whitelist,
            _whitelist_off,
        )
    )
    register(
        Job(
            "directory_push",
            "Publication dans l'annuaire national",
            lambda: _minutes("SCHEDULER_DIRECTORY_MINUTES", 1440),
            push_directory,
            _directory_off,
        )
    )
    # Issue #18 point 3: the national MSSanté directory of the other operators.
    register(
        Job(
            "directory_national",
            "Rechargement de l'annuaire national MSSanté (autres opérateurs)",
            lambda: _minutes("SCHEDULER_DIRECTORY_NATIONAL_MINUTES", 1440),
            refresh_national_directory,
            _national_off,
        )
    )
