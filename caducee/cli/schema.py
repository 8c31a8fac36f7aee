"""The database schema: apply migrations (`caducee migrate` only) or require it current."""

from __future__ import annotations


class SchemaOutdated(Exception):
    """The database lacks migrations this version of Caducée needs."""


def pending_migrations() -> list[str]:
    """The migrations not applied yet, as `app.name`, in the order they would run."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    pending = [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
    # The plan skips a missing migration whose successors are recorded as applied (an
    # inconsistent history): count every migration of the code the database lacks.
    applied = set(executor.loader.applied_migrations)
    missing = sorted(
        f"{app}.{name}"
        for app, name in executor.loader.graph.nodes
        if (app, name) not in applied and f"{app}.{name}" not in pending
    )
    return pending + missing


def require_current_schema() -> None:
    """Refuse to go on when migrations are pending: only `caducee migrate` applies them,
    so that replicas started together never race on the schema."""
    pending = pending_migrations()
    if pending:
        count = len(pending)
        raise SchemaOutdated(
            f"La base de données n'est pas à jour ({count} migration"
            f"{'s' if count > 1 else ''} à appliquer). Lancez d'abord « caducee migrate » "
            "(une seule fois, avant de démarrer les services), puis relancez cette commande."
        )


def apply_migrations() -> list[str]:
    """Apply every pending migration; return those applied."""
    from django.core.management import call_command

    pending = pending_migrations()
    if pending:
        call_command("migrate", interactive=False, verbosity=0)
    return pending
