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
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


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
