"""PostgreSQL: a stored tsvector column with its GIN index (rows are rechecked cheaply)."""

from django.db import migrations

UP = [
    "ALTER TABLE directory_directoryentry ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', keywords)) STORED",
    "CREATE INDEX directory_entry_vector ON directory_directoryentry USING GIN (search_vector)",
    "DROP INDEX IF EXISTS directory_entry_tsv",
]
DOWN = [
    "CREATE INDEX directory_entry_tsv ON directory_directoryentry "
    "USING GIN (to_tsvector('simple', keywords))",
    "DROP INDEX IF EXISTS directory_entry_vector",
    "ALTER TABLE directory_directoryentry DROP COLUMN IF EXISTS search_vector",
]


def _run(statements):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_search_rowid")]

    operations = [migrations.RunPython(_run(UP), _run(DOWN))]
