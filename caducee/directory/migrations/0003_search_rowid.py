"""SQLite: key the FTS5 index by `search_rowid`, which follows the name order."""

from django.db import migrations, models

DROP = [
    "DROP TRIGGER IF EXISTS directory_entry_au",
    "DROP TRIGGER IF EXISTS directory_entry_ad",
    "DROP TRIGGER IF EXISTS directory_entry_ai",
    "DROP TABLE IF EXISTS directory_entry_fts",
]
CREATE = [
    "CREATE VIRTUAL TABLE directory_entry_fts USING fts5("
    "keywords, content='directory_directoryentry', content_rowid='search_rowid', "
    "tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')",
    "CREATE TRIGGER directory_entry_ai AFTER INSERT ON directory_directoryentry BEGIN "
    "INSERT INTO directory_entry_fts(rowid, keywords) VALUES (new.search_rowid, new.keywords); "
    "END",
    "CREATE TRIGGER directory_entry_ad AFTER DELETE ON directory_directoryentry BEGIN "
    "INSERT INTO directory_entry_fts(directory_entry_fts, rowid, keywords) "
    "VALUES ('delete', old.search_rowid, old.keywords); END",
    "CREATE TRIGGER directory_entry_au AFTER UPDATE ON directory_directoryentry BEGIN "
    "INSERT INTO directory_entry_fts(directory_entry_fts, rowid, keywords) "
    "VALUES ('delete', old.search_rowid, old.keywords); "
    "INSERT INTO directory_entry_fts(rowid, keywords) VALUES (new.search_rowid, new.keywords); "
    "END",
]
GAP = 1 << 40


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "sqlite":
        return
    for sql in DROP:
        schema_editor.execute(sql)
    entry = apps.get_model("directory", "DirectoryEntry")
    ids = list(entry.objects.order_by("sort_key").values_list("account_id", flat=True))
    for i, account_id in enumerate(ids):
        entry.objects.filter(account_id=account_id).update(search_rowid=(i + 1) * GAP)
    for sql in CREATE:
        schema_editor.execute(sql)
    schema_editor.execute("INSERT INTO directory_entry_fts(directory_entry_fts) VALUES ('rebuild')")


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "sqlite":
        return
    for sql in DROP:
        schema_editor.execute(sql)
    old = __import__(
        "caducee.directory.migrations.0002_search_index", fromlist=["SQLITE_UP"]
    ).SQLITE_UP
    for sql in old:
        schema_editor.execute(sql)
    schema_editor.execute("INSERT INTO directory_entry_fts(directory_entry_fts) VALUES ('rebuild')")


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_search_index")]

    operations = [
        migrations.AddField(
            model_name="directoryentry",
            name="search_rowid",
            field=models.BigIntegerField(null=True, unique=True),
        ),
        migrations.RunPython(forward, backward),
    ]
