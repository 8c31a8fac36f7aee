"""The PostgreSQL search vector computed from the message's text already folded (issue #19).

Migration 0006 generated `search_vector` from `translate(lower(sender || ' ' || subject ||
' ' || body_text), …)`: on a message of 10 kB, `translate` over UTF-8 text costs the
server 1.3 ms, more than the rest of the insert, inside the SMTP service's group commit,
before any 250. `body_text` is now stored folded by the application
(`caducee.mail.mime.search_text`, the same folding), and a new row's vector folds only
its sender and subject: the same vector for the same message, for about 0.7 ms.

A generated column's expression cannot be changed in place before PostgreSQL 17, and
dropping and adding the column again would compute every stored message's vector again
(about 2 ms each, a long upgrade for a region's millions of messages). So the column
stops being generated (`DROP EXPRESSION`: its values are kept, nothing is rewritten) and a
trigger fills it: on INSERT from the folded text; on an UPDATE that changes the sender,
the subject or the text, with migration 0006's whole folding, right for the rows stored
before this migration (their text was not folded) as for the others (folding folded text
changes nothing). SQLite is left as it is: its FTS5 index folds case and accents itself,
and `@` and `.` already separate its words, so folded and unfolded texts read the same."""

from typing import Any

from django.db import migrations

# Migration 0006's folding, which `caducee.mail.mime.SEARCH_FOLD` repeats.
_FROM = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿ@.<>&"
_TO = "aaaaaaceeeeiiiinooooouuuuyy     "
UP = [
    "ALTER TABLE mail_message ALTER COLUMN search_vector DROP EXPRESSION",
    "CREATE FUNCTION mail_message_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_OP = 'INSERT' THEN "
    "NEW.search_vector := to_tsvector('simple', "
    f"translate(lower(NEW.sender || ' ' || NEW.subject), '{_FROM}', '{_TO}') "
    "|| ' ' || NEW.body_text); "
    "ELSE "
    "NEW.search_vector := to_tsvector('simple', translate(lower(NEW.sender || ' ' || "
    f"NEW.subject || ' ' || NEW.body_text), '{_FROM}', '{_TO}')); "
    "END IF; "
    "RETURN NEW; "
    "END $$",
    "CREATE TRIGGER mail_message_search_vector_bi BEFORE INSERT ON mail_message "
    "FOR EACH ROW EXECUTE FUNCTION mail_message_search_vector()",
    "CREATE TRIGGER mail_message_search_vector_bu BEFORE UPDATE OF sender, subject, body_text "
    "ON mail_message FOR EACH ROW WHEN (OLD.sender IS DISTINCT FROM NEW.sender "
    "OR OLD.subject IS DISTINCT FROM NEW.subject OR OLD.body_text IS DISTINCT FROM NEW.body_text) "
    "EXECUTE FUNCTION mail_message_search_vector()",
]
# Back to migration 0006's generated column (every vector computed again).
DOWN = [
    "DROP TRIGGER IF EXISTS mail_message_search_vector_bu ON mail_message",
    "DROP TRIGGER IF EXISTS mail_message_search_vector_bi ON mail_message",
    "DROP FUNCTION IF EXISTS mail_message_search_vector()",
    "DROP INDEX IF EXISTS mail_message_vector",
    "ALTER TABLE mail_message DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE mail_message ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "to_tsvector('simple', translate(lower(sender || ' ' || subject || ' ' || body_text), "
    f"'{_FROM}', '{_TO}'))) STORED",
    "CREATE INDEX mail_message_vector ON mail_message USING GIN (search_vector)",
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
