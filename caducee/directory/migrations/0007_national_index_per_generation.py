# The national directory's search indexes per generation (caducee/directory/national_load.py):
# - SQLite: one contentless FTS5 table per generation, `directory_national_fts_<id>`, filled
#   by the load and dropped whole with its generation, instead of one table kept by triggers
#   (deleting a replaced million through the delete trigger cost about 40 s);
# - PostgreSQL: the table of a generation's words (`directory_national_word`), which turns a
#   typed prefix into the few whole words it starts (GIN reads whole words cheaply).

from django.db import migrations

FTS_COLUMNS = "keywords, content='', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3'"

SQLITE_DROP_TRIGGERS = [
    "DROP TRIGGER IF EXISTS directory_national_au",
    "DROP TRIGGER IF EXISTS directory_national_ad",
    "DROP TRIGGER IF EXISTS directory_national_ai",
    "DROP TABLE IF EXISTS directory_national_fts",
]
POSTGRES_UP = [
    "CREATE TABLE directory_national_word (generation_id bigint NOT NULL, "
    'word text COLLATE "C" NOT NULL, PRIMARY KEY (generation_id, word))',
]
POSTGRES_DOWN = ["DROP TABLE IF EXISTS directory_national_word"]


def _generations(schema_editor, *states):  # type: ignore[no-untyped-def]
    with schema_editor.connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(states))
        cursor.execute(
            f"SELECT id FROM directory_nationalgeneration WHERE state IN ({marks})",  # noqa: S608
            list(states),
        )
        return [int(row[0]) for row in cursor.fetchall()]


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    current = _generations(schema_editor, "current")
    if vendor == "sqlite":
        for sql in SQLITE_DROP_TRIGGERS:
            schema_editor.execute(sql)
        for pk in current:
            table = f"directory_national_fts_{pk}"
            schema_editor.execute(f"CREATE VIRTUAL TABLE {table} USING fts5({FTS_COLUMNS})")
            schema_editor.execute(
                f"INSERT INTO {table}(rowid, keywords) SELECT id, keywords "  # noqa: S608
                "FROM directory_nationalentry WHERE id > %s AND id < %s",
                [pk << 32, (pk + 1) << 32],
            )
            schema_editor.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
    elif vendor == "postgresql":
        for sql in POSTGRES_UP:
            schema_editor.execute(sql)
        for pk in current:
            schema_editor.execute(
                "INSERT INTO directory_national_word (generation_id, word) "
                "SELECT %s, word FROM ts_stat("
                f"'SELECT search_vector FROM directory_nationalentry "
                f"WHERE id > {pk << 32} AND id < {(pk + 1) << 32}')",
                [pk],
            )


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for pk in _generations(schema_editor, "current", "loading", "replaced", "failed"):
            schema_editor.execute(f"DROP TABLE IF EXISTS directory_national_fts_{pk}")
        schema_editor.execute(
            "CREATE VIRTUAL TABLE directory_national_fts USING fts5("
            "keywords, content='directory_nationalentry', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')"
        )
        schema_editor.execute(
            "INSERT INTO directory_national_fts(directory_national_fts) VALUES ('rebuild')"
        )
        schema_editor.execute(
            "CREATE TRIGGER directory_national_ai AFTER INSERT ON directory_nationalentry BEGIN "
            "INSERT INTO directory_national_fts(rowid, keywords) VALUES (new.id, new.keywords); "
            "END"
        )
        schema_editor.execute(
            "CREATE TRIGGER directory_national_ad AFTER DELETE ON directory_nationalentry BEGIN "
            "INSERT INTO directory_national_fts(directory_national_fts, rowid, keywords) "
            "VALUES ('delete', old.id, old.keywords); END"
        )
        schema_editor.execute(
            "CREATE TRIGGER directory_national_au AFTER UPDATE ON directory_nationalentry BEGIN "
            "INSERT INTO directory_national_fts(directory_national_fts, rowid, keywords) "
            "VALUES ('delete', old.id, old.keywords); "
            "INSERT INTO directory_national_fts(rowid, keywords) VALUES (new.id, new.keywords); "
            "END"
        )
    elif vendor == "postgresql":
        for sql in POSTGRES_DOWN:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0006_national_directory"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
