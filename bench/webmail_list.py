"""Webmail list speed with 100,000 messages in one folder (SQLite, or PostgreSQL).

Times the folder page (first page, a page deep in the folder, a search) through Django's
test client, i.e. the whole view: session, mailbox check, query, template.

    .venv/bin/python bench/webmail_list.py [--messages 100000] [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    os.environ["CADUCEE_HOME"] = tempfile.mkdtemp(prefix="caducee-bench-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "caducee.settings"
    if args.database_url:
        sys.path.insert(0, str(ROOT / "bench"))
        from smtp_ingest import reset_postgres

        reset_postgres(args.database_url)
        os.environ["CADUCEE_DATABASE_URL"] = args.database_url
    sys.path.insert(0, str(ROOT))
    from caducee.cli.main import setup_django
    from caducee.cli.schema import apply_migrations

    setup_django(check_schema=False)
    apply_migrations()  # a fresh database of its own: what `caducee migrate` does
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    from caducee.accounts.models import Account
    from caducee.mail.models import Message
    from caducee.people.models import User
    from caducee.structures.models import Structure

    structure = Structure.objects.create(
        name="Bench", id_type="FINESS_EJ", id_number="750000010", domain="bench.mssante.fr"
    )
    user = User.objects.create_user("bench@example.org")
    account = Account.objects.create(
        structure=structure,
        user=user,
        state="valide",
        type="PER",
        email=user.email,
        last_name="BENCH",
        first_name="Liste",
        mssante_particle="bench",
    )
    start = time.perf_counter()
    now = timezone.now()
    batch: list[Message] = []
    for n in range(args.messages):
        batch.append(
            Message(
                mailbox=account,
                space="pro",
                folder="inbox",
                sender=f"Dr {n % 500} <dr{n % 500}@medimail.mssante.fr>",
                recipients="bench@bench.mssante.fr",
                subject=f"Compte rendu {n}",
                received_at=now - timedelta(seconds=n),
                size=10_000,
                seen=n % 3 == 0,
                path=f"{account.pk}/cur/{n}",
                body_text=f"Texte du compte rendu {n}.",
            )
        )
        if len(batch) == 5_000:
            Message.objects.bulk_create(batch)
            batch.clear()
    Message.objects.bulk_create(batch)
    print(
        f"{args.messages} messages créés en {time.perf_counter() - start:.1f} s "
        f"({'PostgreSQL' if args.database_url else 'SQLite'})"
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    last_page = args.messages // 50
    cases = {
        "dossier vide (référence)": "/messagerie/pro/drafts/",
        "première page": "/messagerie/pro/inbox/",
        f"page {last_page // 2} (milieu)": f"/messagerie/pro/inbox/?page={last_page // 2}",
        f"page {last_page} (fin)": f"/messagerie/pro/inbox/?page={last_page}",
        "recherche « Dr 7 »": "/messagerie/pro/inbox/?q=dr7%40",
    }
    for label, url in cases.items():
        timings = []
        for _ in range(10):
            t0 = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.status_code
        print(f"{label} : médiane {statistics.median(timings):.0f} ms, max {max(timings):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
