"""Full-text index of messages (sender, subject, start of the text) for the webmail search.

SQLite: a contentless FTS5 table kept by triggers, holding each message's folder as a word
so that a search is narrowed to one folder inside the index (a flag change does not touch
it; a move does). PostgreSQL: a stored tsvector column, accents and `@`/`.` folded the way
`caducee.mail.search.terms` folds the query, with its GIN index."""

from typing import Any

from django.db import migrations

# The message's folder as one word (`m12sprodinbox`: mailbox 12, space pro, folder inbox), so
# that a search matches in one folder inside the index (caducee/mail/search.py `place`).
_PLACE = "'m' || {row}.mailbox_id || 's' || {row}.space || 'd' || {row}.folder"
_INSERT_NEW = (
    "INSERT INTO mail_message_fts(rowid, place, sender, subject, body_text) "
    f"VALUES (new.id, {_PLACE.format(row='new')}, new.sender, new.subject, new.body_text);"
)
# A contentless table (SQLite 3.40 has no `contentless_delete`): a row is removed by giving
# its indexed values again, which the trigger has in `old`.
_DELETE_OLD = (
    "INSERT INTO mail_message_fts(mail_message_fts, rowid, place, sender, subject, body_text) "
    f"VALUES ('delete', old.id, {_PLACE.format(row='old')}, old.sender, old.subject, "
    "old.body_text);"
)

SQLITE_UP = [
    "CREATE VIRTUAL TABLE mail_message_fts USING fts5("
    "place, sender, subject, body_text, content='', "
    "tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    f"CREATE TRIGGER mail_message_fts_ai AFTER INSERT ON mail_message BEGIN {_INSERT_NEW} END",
    f"CREATE TRIGGER mail_message_fts_ad AFTER DELETE ON mail_message BEGIN {_DELETE_OLD} END",
    "CREATE TRIGGER mail_message_fts_au AFTER UPDATE OF "
    "sender, subject, body_text, mailbox_id, space, folder ON mail_message BEGIN "
    f"{_DELETE_OLD} {_INSERT_NEW} END",
    "INSERT INTO mail_message_fts(rowid, place, sender, subject, body_text) "
    f"SELECT id, {_PLACE.format(row='mail_message')}, sender, subject, body_text "
    "FROM mail_message",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS mail_message_fts_au",
    "DROP TRIGGER IF EXISTS mail_message_fts_ad",
    "DROP TRIGGER IF EXISTS mail_message_fts_ai",
    "DROP TABLE IF EXISTS mail_message_fts",
]
# translate() is immutable, unlike unaccent(): usable in a generated column. The accented
# letters French mail uses fold to their base letter; `@` and `.` split addresses in words,
# and `<`, `>`, `&` go, or the parser would take `<a@b.fr>` for an HTML tag and drop it.
_FROM = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿ@.<>&"
_TO = "aaaaaaceeeeiiiinooooouuuuyy     "
POSTGRES_UP = [
    "ALTER TABLE mail_message ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "to_tsvector('simple', translate(lower(sender || ' ' || subject || ' ' || body_text), "
    f"'{_FROM}', '{_TO}'))) STORED",
    "CREATE INDEX mail_message_vector ON mail_message USING GIN (search_vector)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS mail_message_vector",
    "ALTER TABLE mail_message DROP COLUMN IF EXISTS search_vector",
]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("mail", "0005_imap_state")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
