"""PostgreSQL: the console's account search reads one stored column (issue #19, point 2).

The search « Adresse mail, nom, prénom » compared `UPPER(email)`, `UPPER(last_name)` and
`UPPER(first_name)` with the text, three `upper()` per account. A text of three characters
or more is answered by trigram indexes (migration 0009), but two characters give no
trigram: the server reads the structure's accounts, and `upper()` was half of that time
(200,000 accounts: 75 ms of execution on two cores, over the 100 ms page target with the
page's own work). `search_text` holds the three upper-cased values separated by U+001F (a
character no search text holds, so a match never spans two values), computed by PostgreSQL
on every insert and update; the search compares it with one `LIKE` (38 ms). One trigram
index on it replaces migration 0009's three, so an account write updates one GIN index of
names instead of three.

Adding a stored generated column rewrites the table under an exclusive lock: about 3.6 s
per 200,000 accounts on a 2-core AMD EPYC (docs/PERFORMANCE.md). SQLite: nothing here (its
trigram index is migration 0010's; a two-character search reads the structure's accounts).
"""

from typing import Any

from django.db import migrations

PER_COLUMN = ("email", "last_name", "first_name")  # migration 0009's indexes
_VALUES = " || chr(31) || ".join(f"UPPER({column}::text)" for column in PER_COLUMN)
POSTGRES_UP = [
    f"ALTER TABLE accounts_account ADD COLUMN search_text text GENERATED ALWAYS AS ({_VALUES}) STORED",
    "CREATE INDEX account_search_text_trgm ON accounts_account USING gin (search_text gin_trgm_ops)",
    *(f"DROP INDEX IF EXISTS account_{column}_trgm" for column in PER_COLUMN),
]
POSTGRES_DOWN = [
    *(
        f"CREATE INDEX IF NOT EXISTS account_{column}_trgm ON accounts_account "
        f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        for column in PER_COLUMN
    ),
    "DROP INDEX IF EXISTS account_search_text_trgm",
    "ALTER TABLE accounts_account DROP COLUMN IF EXISTS search_text",
]


def _run(statements: list[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_pages_account_search_fts")]

    operations = [migrations.RunPython(_run(POSTGRES_UP), _run(POSTGRES_DOWN))]
