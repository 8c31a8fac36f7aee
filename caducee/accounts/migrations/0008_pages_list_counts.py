"""The console's account list at 200,000 accounts (issue #19, point 2).

- Accounts per structure and state (`AccountStateCount`), kept by triggers on every insert,
  delete and change of state or structure of an account, whatever writes it (ORM, bulk
  import, COPY). SQLite: row triggers; PostgreSQL: statement triggers over the transition
  tables (one aggregate per statement, so a COPY of 100,000 accounts updates a few rows
  once, not one row 100,000 times). Filled from the accounts that exist.
- A partial index (structure, expiry_date, state) of the accounts that have an expiry date,
  for « Expire bientôt » and its count.
"""

from typing import Any

from django.conf import settings
from django.db import migrations, models

COUNTS = "accounts_accountstatecount"
_ADD_NEW = (
    f"INSERT INTO {COUNTS} (structure_id, state, total) VALUES (new.structure_id, new.state, 1) "
    "ON CONFLICT (structure_id, state) DO UPDATE SET total = total + 1;"
)
_REMOVE_OLD = (
    f"UPDATE {COUNTS} SET total = total - 1 "
    "WHERE structure_id = old.structure_id AND state = old.state;"
)
_FILL = (
    f"INSERT INTO {COUNTS} (structure_id, state, total) "
    "SELECT structure_id, state, count(*) FROM accounts_account GROUP BY structure_id, state"
)
SQLITE_UP = [
    f"CREATE TRIGGER accounts_state_count_ai AFTER INSERT ON accounts_account BEGIN {_ADD_NEW} END",
    f"CREATE TRIGGER accounts_state_count_ad AFTER DELETE ON accounts_account "
    f"BEGIN {_REMOVE_OLD} END",
    "CREATE TRIGGER accounts_state_count_au AFTER UPDATE OF state, structure_id "
    "ON accounts_account WHEN old.state IS NOT new.state "
    f"OR old.structure_id IS NOT new.structure_id BEGIN {_REMOVE_OLD} {_ADD_NEW} END",
    _FILL,
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS accounts_state_count_au",
    "DROP TRIGGER IF EXISTS accounts_state_count_ad",
    "DROP TRIGGER IF EXISTS accounts_state_count_ai",
]
_ADD = (
    f"INSERT INTO {COUNTS} AS c (structure_id, state, total) "
    "SELECT {structure}, {state}, count(*) FROM {rows} GROUP BY 1, 2 "
    "ON CONFLICT (structure_id, state) DO UPDATE SET total = c.total + EXCLUDED.total;"
)
_SUBTRACT = (
    f"UPDATE {COUNTS} AS c SET total = c.total - d.n FROM (SELECT {{structure}} AS s, "
    "{state} AS t, count(*) AS n FROM {rows} GROUP BY 1, 2) d "
    "WHERE c.structure_id = d.s AND c.state = d.t;"
)
_MOVED = (
    "(SELECT o.structure_id AS old_structure, o.state AS old_state, "
    "n.structure_id AS new_structure, n.state AS new_state FROM old_rows o "
    "JOIN new_rows n ON n.id = o.id WHERE o.state IS DISTINCT FROM n.state "
    "OR o.structure_id IS DISTINCT FROM n.structure_id) m"
)


def _function(name: str, body: str) -> str:
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {body} RETURN NULL; END $$"
    )


POSTGRES_UP = [
    _function(
        "accounts_state_count_ins",
        _ADD.format(structure="structure_id", state="state", rows="new_rows"),
    ),
    _function(
        "accounts_state_count_del",
        _SUBTRACT.format(structure="structure_id", state="state", rows="old_rows"),
    ),
    # Two statements, in this order: one statement may not update a row twice.
    _function(
        "accounts_state_count_upd",
        _SUBTRACT.format(structure="old_structure", state="old_state", rows=_MOVED)
        + _ADD.format(structure="new_structure", state="new_state", rows=_MOVED),
    ),
    "CREATE TRIGGER accounts_state_count_ai AFTER INSERT ON accounts_account "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION accounts_state_count_ins()",
    "CREATE TRIGGER accounts_state_count_ad AFTER DELETE ON accounts_account "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION accounts_state_count_del()",
    "CREATE TRIGGER accounts_state_count_au AFTER UPDATE ON accounts_account "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION accounts_state_count_upd()",
    _FILL,
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS accounts_state_count_au ON accounts_account",
    "DROP TRIGGER IF EXISTS accounts_state_count_ad ON accounts_account",
    "DROP TRIGGER IF EXISTS accounts_state_count_ai ON accounts_account",
    "DROP FUNCTION IF EXISTS accounts_state_count_upd()",
    "DROP FUNCTION IF EXISTS accounts_state_count_del()",
    "DROP FUNCTION IF EXISTS accounts_state_count_ins()",
]
UP = {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}
DOWN = {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_emailsettings_expired"),
        ("structures", "0004_domains_shared"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AccountStateCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("structure_id", models.BigIntegerField()),
                ("state", models.CharField(max_length=12)),
                ("total", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.AddIndex(
            model_name="account",
            index=models.Index(
                condition=models.Q(("expiry_date__isnull", False)),
                fields=["structure", "expiry_date", "state"],
                name="account_expiry",
            ),
        ),
        migrations.AddConstraint(
            model_name="accountstatecount",
            constraint=models.UniqueConstraint(
                fields=("structure_id", "state"), name="one_state_count"
            ),
        ),
        migrations.RunPython(_run(UP), _run(DOWN)),
    ]
