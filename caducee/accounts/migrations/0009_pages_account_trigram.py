"""Trigram indexes for the console's account search on PostgreSQL (issue #19, point 2).

The search « Adresse mail, nom, prénom, RPPS, ADELI » is a substring match (`UPPER(column)
LIKE UPPER('%…%')`, and a prefix of the RPPS or ADELI number for digits): with no index, a word found in no account of a 200,000-account structure
read all of them (0.3–0.5 s). pg_trgm's GIN indexes on the same expressions answer it in
under a millisecond for three characters or more (docs/PERFORMANCE.md). pg_trgm ships with
PostgreSQL and is a trusted extension (PostgreSQL 13+): the database owner may create it.
SQLite: nothing here (its search still reads the structure's accounts).
"""

from typing import Any

from django.db import migrations

COLUMNS = ("email", "last_name", "first_name")  # `icontains`: UPPER(column) LIKE UPPER(…)
PREFIXES = ("rpps", "adeli")  # `startswith` (a query of digits): column LIKE '…%'
POSTGRES_UP = (
    ["CREATE EXTENSION IF NOT EXISTS pg_trgm"]
    + [
        f"CREATE INDEX IF NOT EXISTS account_{column}_trgm ON accounts_account "
        f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        for column in COLUMNS
    ]
    + [
        f"CREATE INDEX IF NOT EXISTS account_{column}_trgm ON accounts_account "
        f"USING gin (({column}::text) gin_trgm_ops)"
        for column in PREFIXES
    ]
)
POSTGRES_DOWN = [f"DROP INDEX IF EXISTS account_{column}_trgm" for column in COLUMNS + PREFIXES]


def _run(statements: list[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_pages_list_counts")]

    operations = [migrations.RunPython(_run(POSTGRES_UP), _run(POSTGRES_DOWN))]
