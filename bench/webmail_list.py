"""Webmail folder page and search with 1,000,000 messages in one folder, latency percentiles.

Usage:
    .venv/bin/python bench/webmail_list.py [--messages 1000000] [--database sqlite|postgresql]
        [--pg-url postgresql://postgres@127.0.0.1:5432/caducee_webmail_bench] [--repeat 20]

It builds a fresh database, puts `--messages` messages in one inbox (500 senders, numbered
subjects and texts; another mailbox holds a word this one has only in old messages), then
requests the folder page through Django's test client as the mailbox owner — session,
mailbox check, unread counters, one keyset page of 50, template — and prints p50/p95/p99 in
milliseconds (wall, and the process's CPU: on SQLite the database's work is in it, on
PostgreSQL the server's is not) and the number of SQL queries, for the first page, pages
deep in the folder (`?avant=` / `?apres=` cursors) and searches through the full-text index.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import fresh_database, machine  # noqa: E402

WORDS = ["glycemie", "radiologie", "ordonnance", "hospitalisation", "consultation"]


def fill(count: int) -> tuple[Any, Any, list[int], float]:
    """The mailbox owner, the account, the message ids newest first, and the seconds."""
    from datetime import timedelta

    from django.utils import timezone

    from caducee.accounts.models import Account
    from caducee.mail.models import Message
    from caducee.people.models import User
    from caducee.structures.models import Structure

    started = time.perf_counter()
    structure = Structure.objects.create(
        name="Banc d'essai", id_type="FINESS_EJ", id_number="750000010", domain="bench.mssante.fr"
    )

    def account(email: str) -> tuple[Any, Any]:
        user = User.objects.create_user(email)
        box = Account.objects.create(
            structure=structure,
            user=user,
            state="valide",
            type="PER",
            email=email,
            last_name="BANC",
            first_name="Essai",
            mssante_particle=email.split("@")[0],
        )
        return user, box

    user, box = account("banc@example.org")
    _, other = account("autre@example.org")
    now = timezone.now()
    made = 0
    while made < count:
        batch = []
        for n in range(made, min(count, made + 10_000)):
            # « archive » is in this folder's 200 oldest messages only.
            word = "archive" if n >= count - 200 else WORDS[n % len(WORDS)]
            batch.append(
                Message(
                    mailbox=box,
                    space="pro",
                    folder="inbox",
                    sender=f"Dr {n % 500} <dr{n % 500}@medimail.mssante.fr>",
                    recipients="banc@bench.mssante.fr",
                    subject=f"Compte rendu {n}",
                    received_at=now - timedelta(seconds=n),
                    size=10_000,
                    seen=n % 3 == 0,
                    path=f"{box.pk}/cur/{n}",
                    body_text=f"Texte du compte rendu {n} : {word}.",
                )
            )
        Message.objects.bulk_create(batch)
        made += len(batch)
        print(f"  {made} messages…", end="\r", flush=True)
    # « archive » is common in the platform (another mailbox), rare in this folder.
    Message.objects.bulk_create(
        Message(
            mailbox=other,
            space="pro",
            folder="inbox",
            sender="x@example.org",
            subject=f"Archive {n}",
            received_at=now,
            path=f"{other.pk}/cur/{n}",
        )
        for n in range(5_000)
    )
    print()
    ids = list(
        Message.objects.filter(mailbox=box)
        .order_by("-received_at", "-id")
        .values_list("id", flat=True)
    )
    return user, box, ids, time.perf_counter() - started


class QueryCounter(list[str]):
    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.append(sql)
        return execute(sql, params, many, context)


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(sorted(samples), n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def run(kind: str, count: int, pg_url: str, repeat: int) -> None:
    fresh_database(kind, pg_url, "webmail")
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    logging.getLogger("caducee.access").setLevel(logging.WARNING)  # one line per request
    print(f"Base : {kind} ({connection.vendor}) — {machine()}")
    user, _box, ids, seconds = fill(count)
    print(f"Remplissage : {count} messages en {seconds:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE mail_message")
    client = Client()
    client.force_login(user)
    url = "/messagerie/pro/inbox/"
    middle, end = ids[len(ids) // 2], ids[-51]
    cases = {
        "dossier vide (référence)": "/messagerie/pro/drafts/",
        "première page": url,
        "milieu (« Plus anciens »)": f"{url}?avant={middle}",
        "fin (« Plus anciens »)": f"{url}?avant={end}",
        "milieu (« Plus récents »)": f"{url}?apres={middle}",
        "recherche « compte rendu » (tous)": f"{url}?q=compte+rendu",
        "recherche « com » (début de mot, tous)": f"{url}?q=com",
        "recherche « compte », « Plus anciens »": f"{url}?q=compte&avant={middle}",
        "recherche « dr7 » (1 sur 45)": f"{url}?q=dr7",
        "recherche « glycemie dr7 »": f"{url}?q=glyc%C3%A9mie+dr7",
        f"recherche « {count // 2} » (un seul)": f"{url}?q={count // 2}",
        "recherche « zzz » (aucun)": f"{url}?q=zzz",
        "recherche « archive » (200 anciens)": f"{url}?q=archive",
        "recherche + « Plus anciens »": f"{url}?q=dr7&avant={middle}",
    }
    print(f"Charge avant les mesures : {os.getloadavg()}")
    print(
        f"{'page':<42}{'requêtes':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'CPU p50':>9}{'CPU p95':>9}"
    )
    for label, target in cases.items():
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            assert client.get(target).status_code == 200
        samples, cpus = [], []
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.get(target)
            cpus.append((time.process_time() - c0) * 1000)
            samples.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.status_code
        p50, p95, p99 = percentiles(samples)
        c50, c95, _ = percentiles(cpus)
        print(
            f"{label:<42}{len(counter):>9}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{c50:>9.1f}{c95:>9.1f}"
        )
    print(f"Charge après : {os.getloadavg()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql://postgres@127.0.0.1:5432/caducee_webmail_bench"
    )
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    run(args.database, args.messages, args.pg_url, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
