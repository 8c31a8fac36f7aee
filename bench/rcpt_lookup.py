"""SMTP recipient lookup benchmark: RCPT TO against a platform of N accounts.

Usage:
    .venv/bin/python bench/rcpt_lookup.py [--accounts 100000] [--database sqlite|postgresql]
        [--pg-url postgresql://postgres@127.0.0.1:5432/caducee_rcpt_bench] [--lookups 500]

On a fresh database it bulk-inserts `--accounts` PER accounts with an MSSanté particle in
one structure (PostgreSQL: then ANALYZE, as autovacuum would), then times the lookups
the inbound SMTP service makes for each RCPT TO that its cache does not answer
(`mail.addresses.inbound_mailbox`, one SQL statement) and the ORM lookup of the same
address used inside the platform (`local_by_mssante`), on addresses spread over the
whole table, written in mixed case as senders may write them.
It prints the mean time per lookup in milliseconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import fresh_database, machine  # noqa: E402


def fill(accounts: int) -> None:
    from caducee.accounts.models import Account
    from caducee.structures.models import Structure

    structure = Structure.objects.create(
        name="Banc RCPT",
        id_type="FINESS_EJ",
        id_number="750000010",
        domain="bench.mssante.fr",
    )
    for start in range(0, accounts, 5000):
        Account.objects.bulk_create(
            Account(
                structure=structure,
                state="valide",
                type="PER",
                email=f"p{i}@perso.example.org",
                last_name="P",
                first_name="Jeanne",
                mssante_particle=f"jeanne.p{i}",
            )
            for i in range(start, min(start + 5000, accounts))
        )


def timed(lookup: Callable[[str], Any], addresses: list[str]) -> float:
    started = time.perf_counter()
    for address in addresses:
        if lookup(address) is None:
            raise SystemExit(f"{address} introuvable : la base n'est pas celle attendue")
    return (time.perf_counter() - started) / len(addresses) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql://postgres@127.0.0.1:5432/caducee_rcpt_bench"
    )
    parser.add_argument("--lookups", type=int, default=500)
    args = parser.parse_args()
    fresh_database(args.database, args.pg_url, "rcpt")
    print(f"Machine: {machine()}")
    started = time.perf_counter()
    fill(args.accounts)
    print(f"{args.accounts} accounts ({args.database}) in {time.perf_counter() - started:.1f} s")
    if args.database == "postgresql":
        from django.db import connection

        with connection.cursor() as cursor:  # as autovacuum would, on a real platform
            cursor.execute("ANALYZE")

    from caducee.mail.addresses import inbound_mailbox, local_by_mssante

    step = max(1, args.accounts // args.lookups)
    addresses = [f"Jeanne.P{i}@Bench.MSSante.fr" for i in range(0, args.accounts, step)]
    print(f"inbound_mailbox (SMTP RCPT): {timed(inbound_mailbox, addresses):.2f} ms per lookup")
    print(f"local_by_mssante (ORM):      {timed(local_by_mssante, addresses):.2f} ms per lookup")
    return 0


if __name__ == "__main__":
    sys.exit(main())
