"""The PostgreSQL search index reads the message's text already folded (issue #19).

Migration 0006 computed `search_vector` from `translate(lower(sender || ' ' || subject ||
' ' || body_text), …)`: on a message of 10 kB, `translate` over UTF-8 text cost the
server 1.3 ms, more than the rest of the insert, inside the SMTP service's group commit,
before any 250. `body_text` is now stored folded by the application
(`caducee.mail.mime.search_text`, the same folding), and the column folds only the sender
and the subject: the same vector for the same message, for about 0.7 ms.

PostgreSQL cannot change a generated column's expression in place (before version 17):
the column and its index are dropped, the text of the messages already stored folded
once here, then the column is added again (the table is rewritten once, every vector
computed again). SQLite is left as it is: its FTS5 index folds case and accents itself,
and `@` and `.` already separate its words, so the rows stored before read the same."""

from typing import Any

from django.db import migrations

# Migration 0006's folding, which `caducee.mail.mime.SEARCH_FOLD` repeats.
_FROM = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿ@.<>&"
_TO = "aaaaaaceeeeiiiinooooouuuuyy     "
_DROP = [
    "DROP INDEX IF EXISTS mail_message_vector",
    "ALTER TABLE mail_message DROP COLUMN IF EXISTS search_vector",
]
_INDEX = "CREATE INDEX mail_message_vector ON mail_message USING GIN (search_vector)"
UP = [
    *_DROP,
    f"UPDATE mail_message SET body_text = translate(lower(body_text), '{_FROM}', '{_TO}') "
    "WHERE body_text <> ''",
    "ALTER TABLE mail_message ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    f"to_tsvector('simple', translate(lower(sender || ' ' || subject), '{_FROM}', '{_TO}') "
    "|| ' ' || body_text)) STORED",
    _INDEX,
]
# Back to migration 0006's column; the text stays folded (folding it again changes nothing).
DOWN = [
    *_DROP,
    "ALTER TABLE mail_message ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "to_tsvector('simple', translate(lower(sender || ' ' || subject || ' ' || body_text), "
    f"'{_FROM}', '{_TO}'))) STORED",
    _INDEX,
]


def _run(statements: list[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("mail", "0007_mss_autoreply")]

    operations = [migrations.RunPython(_run(UP), _run(DOWN))]
