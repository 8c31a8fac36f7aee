"""The query planner's statistics, refreshed daily on SQLite (PostgreSQL's autovacuum
keeps its own).

Without them SQLite plans blind: a webmail search whose few matches sit in a folder of a
million messages walked the whole folder's date index (600 ms) instead of fetching the
matches by id and sorting them (under 1 ms). `analysis_limit` samples each index, so the
refresh takes seconds, not minutes, on a large database."""

from __future__ import annotations

from django.db import connection

ANALYSIS_LIMIT = 1000


def refresh_statistics() -> str:
    if connection.vendor != "sqlite":
        return "Rien à faire : PostgreSQL tient ses statistiques à jour (autovacuum)."
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
    return "Statistiques de la base SQLite mises à jour."


def statistics_off() -> str:
    if connection.vendor == "sqlite":
        return ""
    return "PostgreSQL tient ses statistiques à jour lui-même (autovacuum)."
