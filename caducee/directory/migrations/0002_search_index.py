"""Full-text index of DirectoryEntry.keywords: FTS5 on SQLite, GIN tsvector on PostgreSQL."""

from django.db import migrations

SQLITE_UP = [
    "CREATE VIRTUAL TABLE directory_entry_fts USING fts5("
    "keywords, content='directory_directoryentry', content_rowid='account_id', "
    "tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')",
    "CREATE TRIGGER directory_entry_ai AFTER INSERT ON directory_directoryentry BEGIN "
    "INSERT INTO directory_entry_fts(rowid, keywords) VALUES (new.account_id, new.keywords); END",
    "CREATE TRIGGER directory_entry_ad AFTER DELETE ON directory_directoryentry BEGIN "
    "INSERT INTO directory_entry_fts(directory_entry_fts, rowid, keywords) "
    "VALUES ('delete', old.account_id, old.keywords); END",
    "CREATE TRIGGER directory_entry_au AFTER UPDATE ON directory_directoryentry BEGIN "
    "INSERT INTO directory_entry_fts(directory_entry_fts, rowid, keywords) "
    "VALUES ('delete', old.account_id, old.keywords); "
    "INSERT INTO directory_entry_fts(rowid, keywords) VALUES (new.account_id, new.keywords); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS directory_entry_au",
    "DROP TRIGGER IF EXISTS directory_entry_ad",
    "DROP TRIGGER IF EXISTS directory_entry_ai",
    "DROP TABLE IF EXISTS directory_entry_fts",
]
POSTGRES_UP = [
    "CREATE INDEX directory_entry_tsv ON directory_directoryentry "
    "USING GIN (to_tsvector('simple', keywords))",
]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS directory_entry_tsv"]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
