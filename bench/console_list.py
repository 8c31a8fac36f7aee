"""Console account list benchmark: one structure of 100,000 accounts, latency percentiles.

Usage:
    .venv/bin/python bench/console_list.py [--accounts 100000] [--database sqlite|postgresql]
        [--pg-url postgresql://postgres@127.0.0.1:5432/caducee_console_bench] [--repeat 20]

It builds a fresh database (a temporary SQLite file, or drops and recreates the PostgreSQL
database named in --pg-url), creates one structure holding `--accounts` accounts in bulk
(mixed types and states), then requests « Liste de vos utilisateurs » through Django's test
client as the structure admin — the whole view: access check, counters, one keyset page of
50 rows, template rendering — and prints p50/p95/p99 in milliseconds and the number of SQL
queries, for the first page, a page deep in the list, state and type filters, searches and
the audit log.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import fresh_database, machine  # noqa: E402

NAMES = ["MARTIN", "BERNARD", "DURAND", "PETIT", "LEROY", "MOREAU", "SIMON", "LAURENT"]
FIRST = ["Jeanne", "Paul", "Marie", "Louis", "Lucie", "Pierre", "Anne", "Jacques"]
KINDS = ["PER"] * 70 + ["INT"] * 5 + ["MED"] * 15 + ["ORG"] * 8 + ["APP"] * 2
STATES = ["valide"] * 80 + ["preinscrit"] * 12 + ["a_valider"] * 2 + ["rejete"] * 2
STATES += ["desactive"] * 4


def prepare_database(kind: str, pg_url: str) -> None:
    fresh_database(kind, pg_url, "console")
    from django.conf import settings

    # The test client's host; no template instrumentation (that would slow rendering).
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def fill(count: int, rng: random.Random) -> tuple[Any, Any, float]:
    from stdnum import luhn

    from caducee.accounts.models import Account
    from caducee.audit.log import record
    from caducee.core.context import cli_context
    from caducee.people.models import User
    from caducee.structures.models import Structure, StructureAdmin

    started = time.perf_counter()
    structure = Structure.objects.create(
        name="Centre hospitalier du banc d'essai",
        id_type="FINESS_EJ",
        id_number="75000001" + luhn.calc_check_digit("75000001"),
        domain="bench.mssante.fr",
        department="13",
        region="93",
    )
    admin = User.objects.create_user("admin@bench.example.org", first_name="Ada")
    StructureAdmin.objects.create(user=admin, structure=structure)
    made = 0
    while made < count:
        batch = []
        for n in range(made, min(count, made + 5000)):
            kind = rng.choice(KINDS)
            body = f"1{n:09d}"
            batch.append(
                Account(
                    structure=structure,
                    state=rng.choice(STATES),
                    email=f"u{n:06d}@bench.example.org",
                    last_name=rng.choice(NAMES) + (f"-{n}" if n % 1000 == 0 else ""),
                    first_name=rng.choice(FIRST),
                    type=kind,
                    rpps=body + luhn.calc_check_digit(body) if kind == "PER" else "",
                    profession="10",
                    postal_code="13005",
                    city="MARSEILLE",
                    department="13",
                    region="93",
                )
            )
        made += len(Account.objects.bulk_create(batch))
        print(f"  {made} comptes…", end="\r", flush=True)
    print()
    for n in range(500):
        record(cli_context(), "account.update", structure=structure, target_label=f"e{n}")
    return structure, admin, time.perf_counter() - started


class QueryCounter(list[str]):
    """An execute wrapper keeping the SQL of each query run."""

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.append(sql)
        return execute(sql, params, many, context)


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(sorted(samples), n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def run(kind: str, count: int, pg_url: str, repeat: int) -> None:
    rng = random.Random(7)
    prepare_database(kind, pg_url)
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    print(f"Base : {kind} ({connection.vendor}) — {machine()}")
    structure, admin, seconds = fill(count, rng)
    print(f"Remplissage : {count} comptes en {seconds:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    client = Client()
    client.force_login(admin)
    url = reverse("console:accounts", args=[structure.pk])
    deep = f"u{count - 120:06d}@bench.example.org"
    cases: dict[str, tuple[str, dict[str, str]]] = {
        "première page": (url, {}),
        "page profonde": (url, {"apres": deep}),
        "page précédente": (url, {"avant": deep}),
        "état préinscrit": (url, {"etat": "preinscrit"}),
        "type ORG, profonde": (url, {"type": "ORG", "apres": deep}),
        "recherche nom rare": (url, {"q": "MARTIN-5000"}),
        "recherche RPPS": (url, {"q": f"1{count // 2:09d}"}),
        "recherche absente": (url, {"q": "zzzz"}),
        "journal d'audit": (reverse("console:audit", args=[structure.pk]), {}),
    }
    print(f"{'page':<22}{'requêtes':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for label, (target, params) in cases.items():
        queries = QueryCounter()
        with connection.execute_wrapper(queries):
            response = client.get(target, params)
        assert response.status_code == 200, (label, response.status_code)
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(target, params)
            samples.append((time.perf_counter() - started) * 1000)
        p50, p95, p99 = percentiles(samples)
        print(f"{label:<22}{len(queries):>9}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}")
    if kind == "sqlite":
        connection.close()
        shutil.rmtree(os.environ["CADUCEE_HOME"], ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql://postgres@127.0.0.1:5432/caducee_console_bench"
    )
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    run(args.database, args.accounts, args.pg_url, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
