"""PostgreSQL: a bigram index for the console's two-character account searches (issue #19,
point 2).

pg_trgm's indexes of migration 0009 need three characters: « zz » read every account of a
200,000-account structure (351 ms). `accounts_bigrams(text)` is the set of every pair of
consecutive characters of a text; a GIN index on the bigrams of the five searched columns
(upper case, as `icontains` compares them, separated by a control character) gives the
accounts holding a two-character string, which the search's own comparison then checks
(caducee/accounts/queries.py). SQLite: nothing here.
"""

from typing import Any

from django.db import migrations

# The searched columns as one text, in upper case, each pair of columns separated by U+001F
# (no bigram spanning two columns can equal a query's, which never holds that character).
SEARCHED = (
    "UPPER(email::text) || E'\\x1f' || UPPER(last_name::text) || E'\\x1f' || "
    "UPPER(first_name::text) || E'\\x1f' || rpps::text || E'\\x1f' || adeli::text"
)
POSTGRES_UP = [
    "CREATE FUNCTION accounts_bigrams(value text) RETURNS text[] LANGUAGE sql IMMUTABLE "
    "PARALLEL SAFE AS $$ SELECT coalesce(array_agg(DISTINCT substr(value, i, 2)), '{}') "
    "FROM generate_series(1, length(value) - 1) AS i $$",
    f"CREATE INDEX account_search_bigrams ON accounts_account USING gin "
    f"(accounts_bigrams({SEARCHED}))",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS account_search_bigrams",
    "DROP FUNCTION IF EXISTS accounts_bigrams(text)",
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
