"""SQLite: a trigram full-text index of the console's account search (issue #19, point 2).

The search « Adresse mail, nom, prénom, RPPS, ADELI » is a substring match, which SQLite
answered by reading every account of the structure (150–200 ms at 200,000). An FTS5 table
with the `trigram` tokenizer over those five columns (external content: the account rows
themselves, nothing copied) gives the ids of the accounts holding a string of three
characters or more anywhere in them, case ignored; `caducee.accounts.queries` then applies
the same comparison as before to those ids only. Kept by triggers whatever writes the
accounts (ORM, bulk import); an update touches it only when one of the five columns
changes. PostgreSQL: nothing here (its trigram indexes are migration 0009's).
"""

from typing import Any

from django.db import migrations

FTS = "accounts_account_search"
COLUMNS = "email, last_name, first_name, rpps, adeli"
_NEW = "new.email, new.last_name, new.first_name, new.rpps, new.adeli"
_OLD = "old.email, old.last_name, old.first_name, old.rpps, old.adeli"
_INSERT_NEW = f"INSERT INTO {FTS}(rowid, {COLUMNS}) VALUES (new.id, {_NEW});"
# External content: an entry is removed by giving its indexed values again (`old`).
_DELETE_OLD = f"INSERT INTO {FTS}({FTS}, rowid, {COLUMNS}) VALUES ('delete', old.id, {_OLD});"
_CHANGED = " OR ".join(
    f"old.{column} IS NOT new.{column}" for column in ("id", *COLUMNS.split(", "))
)
SQLITE_UP = [
    f"CREATE VIRTUAL TABLE {FTS} USING fts5({COLUMNS}, content='accounts_account', "
    "content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER {FTS}_ai AFTER INSERT ON accounts_account BEGIN {_INSERT_NEW} END",
    f"CREATE TRIGGER {FTS}_ad AFTER DELETE ON accounts_account BEGIN {_DELETE_OLD} END",
    f"CREATE TRIGGER {FTS}_au AFTER UPDATE ON accounts_account WHEN {_CHANGED} "
    f"BEGIN {_DELETE_OLD} {_INSERT_NEW} END",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {FTS}_au",
    f"DROP TRIGGER IF EXISTS {FTS}_ad",
    f"DROP TRIGGER IF EXISTS {FTS}_ai",
    f"DROP TABLE IF EXISTS {FTS}",
]


def _run(statements: list[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("accounts", "0009_pages_account_trigram")]

    operations = [migrations.RunPython(_run(SQLITE_UP), _run(SQLITE_DOWN))]
