"""« Mes dossiers partagés » benchmark: 2,000 records shared with one partner among 1,000,000.

Usage:
    .venv/bin/python bench/coordination.py [--records 1000000] [--partners 2000]
        [--database sqlite|postgresql]
        [--pg-url postgresql://postgres@127.0.0.1:5432/caducee_coordination_bench] [--repeat 20]

It builds a fresh database (a temporary SQLite file, or drops and recreates the PostgreSQL
database named in --pg-url), creates 50 structures with `--records` dossiers usagers (one
executemany of 20,000 rows at a time on SQLite, COPY on PostgreSQL), one external partner
account attached to `--partners` of them spread over 49 structures (plus a tenth more with
access removed: not shown), a reference partner account attached to 20 records of one
structure, and one internal coordinator of the first structure (20,000 records). It then
requests the pages through Django's test client (session, seal, rights read afresh, count,
one page of 50, the audit of the list, template) and prints, for each, the number of SQL
queries and p50/p95 of the wall time and of the process's CPU time in milliseconds (on
SQLite the CPU time holds the database's work; on PostgreSQL the server's is not in it):

- the reference partner's « Mes dossiers partagés » (what the page costs with 20 rows);
- the partner's first, middle and last page, and searches by name (frequent and rare) and
  by birth date;
- the coordinator's « Dossiers usagers » and a name search;
- `permissions_on` for the partner on a record it may open and one it may not (the check
  run on every request, never cached).
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
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import fresh_database, machine  # noqa: E402

NAMES = ["MARTIN", "BERNARD", "DURAND", "PETIT", "LEROY", "MOREAU", "SIMON", "LAURENT"]
FIRST = ["Jeanne", "Paul", "Marie", "Louis", "Lucie", "Pierre", "Anne", "Jacques"]
STRUCTURES = 50
COLUMNS = (
    "structure_id",
    "last_name",
    "birth_name",
    "first_name",
    "birth_date",
    "address",
    "postal_code",
    "city",
    "phone",
    "notes",
    "created_at",
    "updated_at",
)
CHUNK = 20_000


def prepare_database(kind: str, pg_url: str) -> None:
    fresh_database(kind, pg_url, "coordination")
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    logging.getLogger("caducee.access").setLevel(logging.WARNING)  # one line per request


def _rows(start: int, stop: int, ids: list[int], rng: random.Random) -> list[tuple[Any, ...]]:
    stamp = "2026-12-07 12:00:00"
    return [
        (
            ids[n % len(ids)],
            f"{rng.choice(NAMES)}{n}",
            "",
            rng.choice(FIRST),
            date(1920 + n % 80, 1 + n % 12, 1 + n % 28).isoformat(),
            "",
            "13005",
            "MARSEILLE",
            "",
            "",
            stamp,
            stamp,
        )
        for n in range(start, stop)
    ]


def insert_records(count: int, ids: list[int], rng: random.Random) -> None:
    """`count` records in bulk: COPY on PostgreSQL, executemany on SQLite."""
    from django.db import connection, transaction

    names = ", ".join(COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, count, CHUNK):
            rows = _rows(start, min(count, start + CHUNK), ids, rng)
            if connection.vendor == "postgresql":
                sql = f"COPY coordination_record ({names}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(COLUMNS))
                sql = f"INSERT INTO coordination_record ({names}) VALUES ({marks})"
                cursor.executemany(sql, rows)
            print(f"  {min(count, start + CHUNK)} dossiers…", end="\r", flush=True)
    print()


def _external(home: Any, email: str, identifier: str) -> tuple[Any, Any]:
    from caducee.coordination import operations
    from caducee.core.context import cli_context

    contact = operations.create_contact(
        cli_context(),
        home,
        operations.ContactInput(last_name="Corre", first_name="François", email=email),
    )
    external = operations.create_external_account_manual(
        cli_context(),
        contact,
        identifier,
        operations.find_profile(home, "Partenaire externe contributeur"),
    ).external
    return contact, external


def fill(records: int, partners: int, rng: random.Random) -> dict[str, Any]:
    from django.utils import timezone
    from stdnum import luhn

    from caducee.coordination import operations
    from caducee.coordination.models import Contact, ExternalGrant, Membership, Partner, Record
    from caducee.people.models import User
    from caducee.structures.models import Structure

    structures = Structure.objects.bulk_create(
        [
            Structure(
                name=f"Service de coordination {i:02d}",
                id_type="FINESS_EJ",
                id_number=f"81{i:06d}" + luhn.calc_check_digit(f"81{i:06d}"),
                domain=f"coord{i:02d}.mssante.fr",
            )
            for i in range(STRUCTURES)
        ]
    )
    insert_records(records, [s.pk for s in structures], rng)
    home = structures[0]
    operations.ensure_default_profiles(home)  # bulk_create skipped what save() does
    coordinator = User.objects.create_user("coord@bench.example.org")
    Membership.objects.create(
        user=coordinator,
        structure=home,
        profile=operations.find_profile(home, "Coordinateur interne"),
    )
    contact, external = _external(home, "fc@bench.fr", "fcorre")
    # The partner follows people of every structure: one contact per structure, same email,
    # each structure having invited the account and the partner having accepted.
    contacts = {home.pk: contact}
    for structure in structures[1:]:
        contacts[structure.pk] = Contact.objects.create(
            structure=structure, last_name="CORRE", email="fc@bench.fr", external_account=external
        )
    ExternalGrant.objects.bulk_create(
        [
            ExternalGrant(structure=structure, external=external, accepted_at=timezone.now())
            for structure in structures[1:]
        ]
    )
    # Records of the 49 other structures (n % 50 != 0), a tenth more with access removed.
    others = [n for n in rng.sample(range(records), partners * 2) if n % STRUCTURES][
        : partners + partners // 10
    ]
    by_pk = dict(
        Record.objects.filter(pk__in=[n + 1 for n in others]).values_list("pk", "structure_id")
    )
    shared = sorted(by_pk.items())
    Partner.objects.bulk_create(
        [
            Partner(
                record_id=pk,
                contact=contacts[structure_id],
                contact_type="medecin_traitant",
                access_enabled=i < partners,
            )
            for i, (pk, structure_id) in enumerate(shared)
        ]
    )
    ref_contact, ref_external = _external(home, "ref@bench.fr", "reference")
    home_records = Record.objects.filter(structure=home).values_list("pk", flat=True)[:20]
    Partner.objects.bulk_create(
        [
            Partner(record_id=pk, contact=ref_contact, contact_type="medecin_traitant")
            for pk in home_records
        ]
    )
    visible = [pk for i, (pk, _s) in enumerate(shared) if i < partners]
    return {
        "partner": external.user,
        "reference": ref_external.user,
        "coordinator": coordinator,
        "opened": Record.objects.get(pk=visible[1]),
        "closed": Record.objects.exclude(pk__in=by_pk).exclude(structure=home).first(),
        "sample": Record.objects.get(pk=visible[len(visible) // 2]),
    }


class QueryCounter(list[str]):
    """An execute wrapper keeping the SQL of each query run."""

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.append(sql)
        return execute(sql, params, many, context)


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(sorted(samples), n=100, method="inclusive")
    return cuts[49], cuts[94]


def measure(label: str, call: Callable[[], Any], repeat: int) -> None:
    from django.db import connection

    queries = QueryCounter()
    with connection.execute_wrapper(queries):
        call()
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        call()
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - started) * 1000)
    p50, p95 = percentiles(walls)
    c50, c95 = percentiles(cpus)
    print(f"{label:<40}{len(queries):>5}{p50:>8.1f}{p95:>8.1f}{c50:>9.1f}{c95:>9.1f}")


def page(client: Any, expected: str, **params: str) -> Callable[[], None]:
    from django.urls import reverse

    url = reverse("coordination:home")

    def call() -> None:
        response = client.get(url, params)
        assert response.status_code == 200, response.status_code
        assert expected in response.content.decode(), expected

    return call


def run(kind: str, records: int, partners: int, pg_url: str, repeat: int) -> None:
    rng = random.Random(7)
    prepare_database(kind, pg_url)
    from django.db import connection
    from django.test import Client

    from caducee.coordination.access import permissions_on

    print(f"Base : {kind} ({connection.vendor}) — {machine()}")
    print(f"Charge : {os.getloadavg()}")
    started = time.perf_counter()
    made = fill(records, partners, rng)
    print(
        f"Remplissage : {records} dossiers, {STRUCTURES} structures, {partners} dossiers "
        f"ouverts au partenaire externe, en {time.perf_counter() - started:.1f} s"
    )
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        connection.connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    clients = {}
    for key in ("partner", "reference", "coordinator"):
        clients[key] = Client()
        clients[key].force_login(made[key], backend="django.contrib.auth.backends.ModelBackend")
    partner, sample = made["partner"], made["sample"]
    assert permissions_on(partner, made["opened"]) and not permissions_on(partner, made["closed"])
    last = -(-partners // 50)
    found = f"{partners} dossiers"
    birth = sample.birth_date.strftime("%d/%m/%Y")
    cases: list[tuple[str, Callable[[], Any]]] = [
        (
            "référence : partenaire de 20 dossiers",
            page(clients["reference"], "Mes dossiers partagés"),
        ),
        ("Mes dossiers partagés, page 1", page(clients["partner"], found)),
        (
            "Mes dossiers partagés, page du milieu",
            page(clients["partner"], found, page=f"{last // 2}"),
        ),
        ("Mes dossiers partagés, dernière page", page(clients["partner"], found, page=f"{last}")),
        ("recherche « martin »", page(clients["partner"], "dossiers", q="martin")),
        ("recherche nom rare", page(clients["partner"], sample.last_name, q=sample.last_name)),
        ("recherche date de naissance", page(clients["partner"], sample.last_name, q=birth)),
        ("coordinateur : Dossiers usagers", page(clients["coordinator"], "dossiers")),
        ("coordinateur : recherche « mar »", page(clients["coordinator"], "dossiers", q="mar")),
        ("permissions_on (dossier ouvert)", lambda: permissions_on(partner, made["opened"])),
        ("permissions_on (dossier fermé)", lambda: permissions_on(partner, made["closed"])),
    ]
    print(f"Charge avant les mesures : {os.getloadavg()}")
    print(f"{'mesure':<40}{'req.':>5}{'p50 ms':>8}{'p95 ms':>8}{'CPU p50':>9}{'CPU p95':>9}")
    cpu_started = time.process_time()
    for label, call in cases:
        measure(label, call, repeat)
    print(f"CPU du processus pendant les mesures : {time.process_time() - cpu_started:.1f} s")
    print(f"Charge après : {os.getloadavg()}")
    if kind == "sqlite":
        connection.close()
        shutil.rmtree(os.environ["CADUCEE_HOME"], ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--partners", type=int, default=2_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql://postgres@127.0.0.1:5432/caducee_coordination_bench"
    )
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    run(args.database, args.records, args.partners, args.pg_url, args.repeat)


if __name__ == "__main__":
    main()
