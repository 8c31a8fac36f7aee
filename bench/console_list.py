"""Console account list benchmark: one structure of 200,000 accounts, latency percentiles.

Usage:
    .venv/bin/python bench/console_list.py [--accounts 200000] [--database sqlite|postgresql]
        [--pg-url postgresql://postgres@127.0.0.1:5432/caducee_console_bench] [--repeat 20]

It builds a fresh database (a temporary SQLite file, or drops and recreates the PostgreSQL
database named in --pg-url), creates one structure holding `--accounts` accounts in bulk
(mixed types and states, 2 % expiring soon) and a second structure of 10 accounts (the
reference: what any page costs), then requests « Liste de vos utilisateurs » through
Django's test client as the admin of both — the whole view: access check, counters, one
keyset page of 50 rows, template rendering — and prints, for each page, the number of SQL
queries and p50/p95 of the wall time and of the process's CPU time in milliseconds (on
SQLite the CPU time holds the database's work; on PostgreSQL the server's is not in it):
the reference, the first, a deep, the previous and the last page, each filter the list
offers (state, type, « Expire bientôt »), searches by name, first name, login (email) or
RPPS, frequent, rare and absent, alone and with a filter or a deep page, and the audit log.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import statistics
import sys
import time
from datetime import timedelta
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
BATCH = 5000


def prepare_database(kind: str, pg_url: str) -> None:
    fresh_database(kind, pg_url, "console")
    from django.conf import settings

    # The test client's host; no template instrumentation (that would slow rendering).
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    logging.getLogger("caducee.access").setLevel(logging.WARNING)  # one line per request


def _account(structure: Any, n: int, rng: random.Random, domain: str) -> Any:
    from django.utils import timezone
    from stdnum import luhn

    from caducee.accounts.models import Account

    kind = rng.choice(KINDS)
    body = f"1{n:09d}"
    soon = timezone.localdate() + timedelta(days=n % 20)
    return Account(
        structure=structure,
        state=rng.choice(STATES),
        email=f"u{n:06d}@{domain}",
        # One name in 1,000 is unique (« MARTIN-5000 »): the rare-name searches.
        last_name=rng.choice(NAMES) + (f"-{n}" if n % 1000 == 0 else ""),
        first_name=rng.choice(FIRST),
        type=kind,
        rpps=body + luhn.calc_check_digit(body) if kind == "PER" else "",
        profession="10",
        postal_code="13005",
        city="MARSEILLE",
        department="13",
        region="93",
        expiry_date=soon if n % 50 == 7 else None,
    )


def fill(count: int, rng: random.Random) -> tuple[Any, Any, Any, float]:
    from django.db import transaction
    from stdnum import luhn

    from caducee.accounts.models import Account
    from caducee.audit.actions import AuditAction
    from caducee.audit.log import TargetRef, record_many
    from caducee.core.context import cli_context
    from caducee.people.models import User
    from caducee.structures.models import Structure, StructureAdmin

    started = time.perf_counter()
    structure, small = (
        Structure.objects.create(
            name=name,
            id_type="FINESS_EJ",
            id_number=number + luhn.calc_check_digit(number),
            domain=domain,
            department="13",
            region="93",
        )
        for name, number, domain in (
            ("Centre hospitalier du banc d'essai", "75000001", "bench.mssante.fr"),
            ("Cabinet de référence", "75000002", "ref.mssante.fr"),
        )
    )
    admin = User.objects.create_user("admin@bench.example.org", first_name="Ada")
    StructureAdmin.objects.create(user=admin, structure=structure)
    StructureAdmin.objects.create(user=admin, structure=small)
    Account.objects.bulk_create(
        [_account(small, 900_000_000 + n, rng, "ref.example.org") for n in range(10)]
    )
    made = 0
    with transaction.atomic():
        while made < count:
            batch = [
                _account(structure, n, rng, "bench.example.org")
                for n in range(made, min(count, made + BATCH))
            ]
            made += len(Account.objects.bulk_create(batch))
            print(f"  {made} comptes…", end="\r", flush=True)
    print()
    events = [
        (AuditAction.ACCOUNT_UPDATE, structure, TargetRef("account", "", f"e{n}"), {})
        for n in range(500)
    ]
    with transaction.atomic():
        record_many(cli_context(), events)  # type: ignore[arg-type]
    return structure, small, admin, time.perf_counter() - started


class QueryCounter(list[str]):
    """An execute wrapper keeping the SQL of each query run."""

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.append(sql)
        return execute(sql, params, many, context)


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(sorted(samples), n=100, method="inclusive")
    return cuts[49], cuts[94]


def cases(structure: Any, small: Any, count: int) -> dict[str, tuple[str, dict[str, str]]]:
    from django.urls import reverse

    url = reverse("console:accounts", args=[structure.pk])
    deep = f"u{count - 120:06d}@bench.example.org"
    middle = f"u{count // 2:06d}@bench.example.org"
    rare = (count // 2000) * 1000  # a multiple of 1,000 in the middle: a unique name
    login = f"u{count // 3:06d}@bench.example.org"
    return {
        "référence (10 comptes)": (reverse("console:accounts", args=[small.pk]), {}),
        "première page": (url, {}),
        "page du milieu": (url, {"apres": middle}),
        "page profonde": (url, {"apres": deep}),
        "page précédente": (url, {"avant": deep}),
        "dernière page": (url, {"avant": "~"}),
        "état préinscrit": (url, {"etat": "preinscrit"}),
        "état désactivé, milieu": (url, {"etat": "desactive", "apres": middle}),
        "type ORG, profonde": (url, {"type": "ORG", "apres": deep}),
        "type APP + état rejeté": (url, {"type": "APP", "etat": "rejete"}),
        "expire bientôt": (url, {"expire": "bientot"}),
        "nom fréquent « martin »": (url, {"q": "martin"}),
        "nom fréquent, milieu": (url, {"q": "martin", "apres": middle}),
        "nom rare": (url, {"q": f"MARTIN-{rare}"}),
        "prénom + état + type": (url, {"q": "jeanne", "etat": "desactive", "type": "APP"}),
        "login complet": (url, {"q": login}),
        "début de login": (url, {"q": login[:6]}),
        "RPPS": (url, {"q": f"1{count // 2:09d}"}),
        "absent « zzzz »": (url, {"q": "zzzz"}),
        "absent + état": (url, {"q": "zzzz", "etat": "valide"}),
        "absent, deux lettres « zz »": (url, {"q": "zz"}),
        "journal d'audit": (reverse("console:audit", args=[structure.pk]), {}),
    }


def run(kind: str, count: int, pg_url: str, repeat: int) -> None:
    rng = random.Random(7)
    prepare_database(kind, pg_url)
    from django.db import connection
    from django.test import Client

    print(f"Base : {kind} ({connection.vendor}) — {machine()}")
    print(f"Charge : {os.getloadavg()}")
    structure, small, admin, seconds = fill(count, rng)
    print(f"Remplissage : {count} comptes en {seconds:.1f} s")
    if connection.vendor == "postgresql":
        # What autovacuum does after a bulk load: statistics and the visibility map.
        connection.ensure_connection()
        connection.connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    client = Client()
    client.force_login(admin)
    header = f"{'page':<28}{'req.':>5}{'p50 ms':>8}{'p95 ms':>8}{'CPU p50':>9}{'CPU p95':>9}"
    print(f"Charge avant les mesures : {os.getloadavg()}")
    print(header)
    cpu_started = time.process_time()
    for label, (target, params) in cases(structure, small, count).items():
        queries = QueryCounter()
        with connection.execute_wrapper(queries):
            response = client.get(target, params)
        assert response.status_code == 200, (label, response.status_code)
        walls: list[float] = []
        cpus: list[float] = []
        for _ in range(repeat):
            started, cpu = time.perf_counter(), time.process_time()
            client.get(target, params)
            cpus.append((time.process_time() - cpu) * 1000)
            walls.append((time.perf_counter() - started) * 1000)
        p50, p95 = percentiles(walls)
        c50, c95 = percentiles(cpus)
        print(f"{label:<28}{len(queries):>5}{p50:>8.1f}{p95:>8.1f}{c50:>9.1f}{c95:>9.1f}")
    print(f"CPU du processus pendant les mesures : {time.process_time() - cpu_started:.1f} s")
    print(f"Charge après : {os.getloadavg()}")
    if kind == "sqlite":
        connection.close()
        shutil.rmtree(os.environ["CADUCEE_HOME"], ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=200_000)
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
