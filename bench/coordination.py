"""Coordination access benchmark: the per-request checks of the sealed external accounts.

Usage:
    .venv/bin/python bench/coordination.py [--records 100000] [--partners 2000]
        [--database sqlite|postgresql]
        [--pg-url postgresql://postgres@127.0.0.1:5432/caducee_coordination_bench]

It builds a fresh database (a temporary SQLite file, or drops and recreates the PostgreSQL
database named in --pg-url), creates 50 structures with `--records` dossiers usagers in
bulk, one external partner account attached to `--partners` of them (a tenth with access
removed), and one internal coordinator of the first structure. It then times what every
page of the module does, and prints p50/p95/p99 in milliseconds:

- `permissions_on` for the external account on a record it may open, and on one it may not
  (the check run on every request, never cached);
- the first page of « Mes dossiers partagés » (count + 50 rows) for the external account;
- the first page of a name search for the internal coordinator.
"""

from __future__ import annotations

import argparse
import random
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


def prepare_database(kind: str, pg_url: str) -> None:
    fresh_database(kind, pg_url, "coordination")


def fill(records: int, partners: int, rng: random.Random) -> tuple[Any, Any, Any, Any, float]:
    from django.utils import timezone
    from stdnum import luhn

    from caducee.coordination import operations
    from caducee.coordination.models import Contact, ExternalGrant, Membership, Partner, Record
    from caducee.core.context import cli_context
    from caducee.people.models import User
    from caducee.structures.models import Structure

    started = time.perf_counter()
    structures = Structure.objects.bulk_create(
        [
            Structure(
                name=f"Service de coordination {i:02d}",
                id_type="FINESS_EJ",
                id_number=f"81{i:06d}" + luhn.calc_check_digit(f"81{i:06d}"),
                domain=f"coord{i:02d}.mssante.fr",
            )
            for i in range(50)
        ]
    )
    batch = 5000
    for start in range(0, records, batch):
        Record.objects.bulk_create(
            [
                Record(
                    structure=structures[n % len(structures)],
                    last_name=f"{rng.choice(NAMES)}{n}",
                    first_name=rng.choice(FIRST),
                    birth_date=date(1920 + n % 80, 1 + n % 12, 1 + n % 28),
                )
                for n in range(start, min(records, start + batch))
            ]
        )
    home = structures[0]
    coordinator = User.objects.create_user("coord@bench.example.org")
    Membership.objects.create(
        user=coordinator,
        structure=home,
        profile=operations.find_profile(home, "Coordinateur interne"),
    )
    contact = operations.create_contact(
        cli_context(),
        home,
        operations.ContactInput(last_name="Corre", first_name="François", email="fc@bench.fr"),
    )
    external = operations.create_external_account_manual(
        cli_context(),
        contact,
        "fcorre",
        operations.find_profile(home, "Partenaire externe contributeur"),
    ).external
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
    chosen = rng.sample(list(Record.objects.values_list("pk", "structure_id")), partners)
    Partner.objects.bulk_create(
        [
            Partner(
                record_id=pk,
                contact=contacts[structure_id],
                contact_type="medecin_traitant",
                access_enabled=i % 10 != 0,
            )
            for i, (pk, structure_id) in enumerate(chosen)
        ]
    )
    opened = Record.objects.get(pk=chosen[1][0])
    closed = Record.objects.exclude(partners__contact__external_account=external).first()
    return external.user, coordinator, opened, closed, time.perf_counter() - started


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(sorted(samples), n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    out: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def run(kind: str, records: int, partners: int, pg_url: str, repeat: int) -> None:
    rng = random.Random(7)
    prepare_database(kind, pg_url)
    from django.core.paginator import Paginator
    from django.db import connection

    from caducee.coordination.access import permissions_on
    from caducee.coordination.operations import search_records
    from caducee.core.context import Context

    print(f"Base : {kind} ({connection.vendor}) — {machine()}")
    partner, coordinator, opened, closed, seconds = fill(records, partners, rng)
    print(
        f"Remplissage : {records} dossiers, 50 structures, {partners} rattachements du "
        f"partenaire externe, en {seconds:.1f} s"
    )
    assert permissions_on(partner, opened) and not permissions_on(partner, closed)

    def first_page(ctx: Context, text: str) -> None:
        page = Paginator(search_records(ctx, text), 50).get_page(1)
        list(page.object_list)
        assert page.paginator.count >= 0

    cases: list[tuple[str, Callable[[], Any]]] = [
        ("permissions_on (dossier ouvert)", lambda: permissions_on(partner, opened)),
        ("permissions_on (dossier fermé)", lambda: permissions_on(partner, closed)),
        (
            "Mes dossiers partagés, page 1",
            lambda: first_page(Context(user=partner), ""),
        ),
        (
            "Recherche « mar » (coordinateur)",
            lambda: first_page(Context(user=coordinator), "mar"),
        ),
    ]
    print(f"{'mesure':<40} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for label, call in cases:
        call()  # warm-up
        p50, p95, p99 = percentiles(timed(call, repeat))
        print(f"{label:<40} {p50:>8.2f} {p95:>8.2f} {p99:>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--partners", type=int, default=2_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql://postgres@127.0.0.1:5432/caducee_coordination_bench"
    )
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    run(args.database, args.records, args.partners, args.pg_url, args.repeat)


if __name__ == "__main__":
    main()
