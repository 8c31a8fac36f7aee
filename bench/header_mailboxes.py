"""The header's mailbox query at a million accounts: before/after in the same run.

Usage:
    .venv/bin/python bench/header_mailboxes.py [--accounts 1000000]
        [--database sqlite|postgresql]
        [--pg-url postgresql://postgres@127.0.0.1:5432/caducee_header_bench] [--repeat 30]

Every page of a person reads the mailboxes they open besides their own
(`accounts.delegates.linked_and_delegated`, through `identity.mailboxes.webmail_mailboxes`).
On a fresh database (a temporary SQLite file, or the PostgreSQL database of --pg-url,
dropped and recreated) it inserts `--accounts` accounts with one SQL statement
(`generate_series` on PostgreSQL, a recursive CTE on SQLite; the accounts' search indexes
and triggers, which this query does not read, are dropped first so that the fill takes
minutes), then a person linked to two shared mailboxes and delegate of two, and times
`--repeat` times the query as it was (an OR of two `IN` on the accounts) and as it is (the
accounts reached by primary key from a UNION of the two id sets): p50/p95 of the wall and
CPU time in ms, the plans, and on PostgreSQL the server's execution time
(`EXPLAIN ANALYZE`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import fresh_database, machine  # noqa: E402


def _column_values(structure_id: int, vendor: str) -> tuple[list[str], list[str]]:
    """Each column of the accounts and its SQL value for row `n`."""
    from django.db import models

    from caducee.accounts.models import Account

    false, now = ("FALSE", "now()") if vendor == "postgresql" else ("0", "CURRENT_TIMESTAMP")
    num = "n::text" if vendor == "postgresql" else "CAST(n AS TEXT)"
    special = {
        "structure": str(structure_id),
        "state": "'valide'",
        "type": "'PER'",
        "email": f"'u' || {num} || '@bench.example.org'",
        "last_name": f"'NOM' || {num}",
        "first_name": "'Jeanne'",
    }
    columns, values = [], []
    for field in Account._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.name in special:
            values.append(special[field.name])
        elif field.null:
            values.append("NULL")
        elif isinstance(field, models.BooleanField):
            values.append(false)
        elif isinstance(field, models.DateTimeField):
            values.append(now)
        else:
            values.append("''")
    return columns, values


def fill(count: int) -> tuple[Any, float]:
    from django.db import connection

    from caducee.accounts.models import Account, AccountState, ConnectionLink, Delegation
    from caducee.people.models import User
    from caducee.structures.models import Structure

    started = time.perf_counter()
    structure = Structure.objects.create(
        name="Centre hospitalier du banc d'essai",
        id_type="FINESS_EJ",
        id_number="750000015",
        domain="bench.mssante.fr",
        department="13",
        region="93",
    )
    vendor = connection.vendor
    columns, values = _column_values(structure.pk, vendor)
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'accounts_account' "
                "AND indexdef LIKE '%%USING gin%%'"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute(
                f"INSERT INTO accounts_account ({', '.join(columns)}) "
                f"SELECT {', '.join(values)} FROM generate_series(1, %s) AS n",
                [count],
            )
            cursor.execute("ANALYZE")
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'accounts_account' AND name LIKE '%%search%%'"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER "{name}"')
            cursor.execute(
                "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < %s) "
                f"INSERT INTO accounts_account ({', '.join(columns)}) "
                f"SELECT {', '.join(values)} FROM s",
                [count],
            )
            cursor.execute("ANALYZE")
    user = User.objects.create_user("secretaire@bench.example.org", first_name="Ada")
    person = Account.objects.filter(email="u1@bench.example.org").get()
    Account.objects.filter(pk=person.pk).update(user=user, type="MED")
    for n in (2, count // 2):
        box = Account.objects.get(email=f"u{n}@bench.example.org")
        Account.objects.filter(pk=box.pk).update(type="ORG")
        ConnectionLink.objects.create(mailbox=box, account=person)
    for n in (3, count - 1):
        box = Account.objects.get(email=f"u{n}@bench.example.org")
        Delegation.objects.create(account=box, delegate=person)
    closed = Account.objects.get(email=f"u{count}@bench.example.org")
    Account.objects.filter(pk=closed.pk).update(state=AccountState.DEACTIVATED)
    Delegation.objects.create(account=closed, delegate=person)
    person.refresh_from_db()
    return person, time.perf_counter() - started


def former_query(account: Any) -> Any:
    """`linked_and_delegated`'s query before issue #19 point 2 (2026-12-07)."""
    from django.db.models import Exists, OuterRef, Q, Subquery

    from caducee.accounts import delegates
    from caducee.accounts.models import Account, ConnectionLink, Delegation

    links = ConnectionLink.objects.filter(account=account)
    delegations = Delegation.objects.filter(delegate=account)
    return (
        Account.objects.filter(
            (Q(pk__in=links.values("mailbox_id")) & ~Q(state__in=delegates._UNOPENED_LINKED))
            | (Q(pk__in=delegations.values("account_id")) & ~Q(state__in=delegates.CLOSED_STATES))
        )
        .annotate(
            is_linked=Exists(links.filter(mailbox=OuterRef("pk"))),
            delegated_right=Subquery(delegations.filter(account=OuterRef("pk")).values("right")),
        )
        .order_by("-is_linked", "email")
    )


def _timed(query: Any, repeat: int) -> tuple[list[str], list[float], list[float]]:
    walls, cpus = [], []
    emails: list[str] = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        emails = [box.email for box in query()]
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return emails, walls, cpus


def _p(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):8.2f} {p95:8.2f}"


def _server_ms(queryset: Any) -> str:
    from django.db import connection

    if connection.vendor != "postgresql":
        return ""
    plan = queryset.explain(analyze=True)
    times = [line for line in plan.splitlines() if "Execution Time" in line]
    return times[0].strip() if times else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql://postgres@127.0.0.1:5432/caducee_header_bench"
    )
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    fresh_database(args.database, args.pg_url, "header")
    from caducee.accounts.delegates import linked_and_delegated, openable_boxes

    print(machine(), f"database={args.database}")
    person, seconds = fill(args.accounts)
    print(f"fill: {args.accounts} accounts in {seconds:.1f} s")
    cases = {
        "before (OR of two IN)": lambda: former_query(person),
        "after (UNION, by primary key)": lambda: openable_boxes(person),
    }
    results = {}
    print(f"{'query':32} {'wall p50':>8} {'p95':>8} {'CPU p50':>8} {'p95':>8}  server")
    for name, query in cases.items():
        list(query())  # warm the caches once
        emails, walls, cpus = _timed(query, args.repeat)
        results[name] = emails
        print(f"{name:32} {_p(walls)} {_p(cpus)}  {_server_ms(query())}")
        print("   plan:", " | ".join(query().explain().splitlines()[:12]))
    first, second = results.values()
    print("same mailboxes, same order:", first == second, first)
    print("linked_and_delegated:", [b.email for b in linked_and_delegated(person)[0]])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
