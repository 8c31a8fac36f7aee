"""IMAP listing speed of a 10,000-message folder (issue #18: « 10,000 messages listed in
under 2 s »), through the real service and Python's imaplib over loopback.

Creates the messages (rows and files in the mail store), then times: the first SELECT
(every message gets its UID), a later SELECT, the listing a client does on opening a
folder (UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)), Thunderbird's header
download (… BODY.PEEK[HEADER.FIELDS (…)], which reads every file) and UID SEARCH UNSEEN.

    .venv/bin/python bench/imap_list.py [--messages 10000] [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import imaplib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADERS = (
    "(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO CC BCC SUBJECT DATE "
    "MESSAGE-ID PRIORITY X-PRIORITY REFERENCES NEWSGROUPS IN-REPLY-TO CONTENT-TYPE "
    "REPLY-TO)])"
)


def timed(label: str, runs: int, action: Callable[[], object]) -> None:
    timings = []
    for _ in range(runs):
        t0 = time.perf_counter()
        action()
        timings.append(time.perf_counter() - t0)
    print(
        f"{label} : médiane {statistics.median(timings) * 1000:.0f} ms, "
        f"max {max(timings) * 1000:.0f} ms ({runs} passages)",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.harness import fresh_database, machine

    kind = "postgresql" if args.database_url else "sqlite"
    fresh_database(kind, args.database_url, "imap")
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from caducee.accounts.models import Account
    from caducee.core.context import cli_context
    from caducee.mail.imap.server import ImapService
    from caducee.mail.models import Message
    from caducee.mail.operations import create_app_password
    from caducee.people.models import User
    from caducee.structures.models import Structure

    print(machine(), f"base={kind}")
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
        first_name="Imap",
        mssante_particle="bench",
    )
    password = create_app_password(cli_context(), user, "bench")
    folder = Path(settings.MAIL_ROOT) / str(account.pk) / "cur"
    folder.mkdir(parents=True)
    start = time.perf_counter()
    now = timezone.now()
    batch: list[Message] = []
    for n in range(args.messages):
        data = (
            f"From: Dr {n % 500} <dr{n % 500}@medimail.mssante.fr>\r\n"
            "To: bench@bench.mssante.fr\r\n"
            f"Subject: Compte rendu {n}\r\n"
            f"Message-ID: <cr-{n}@medimail.mssante.fr>\r\n"
            "Date: Mon, 07 Dec 2026 09:00:00 +0100\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n" + "Texte du compte rendu.\r\n" * 40
        ).encode()
        (folder / f"{n}:2,").write_bytes(data)
        batch.append(
            Message(
                mailbox=account,
                space="pro",
                folder="inbox",
                sender=f"Dr {n % 500} <dr{n % 500}@medimail.mssante.fr>",
                recipients="bench@bench.mssante.fr",
                subject=f"Compte rendu {n}",
                received_at=now - timedelta(seconds=n),
                size=len(data),
                seen=n % 3 == 0,
                path=f"{account.pk}/cur/{n}:2,",
            )
        )
        if len(batch) == 5_000:
            Message.objects.bulk_create(batch)
            batch.clear()
    Message.objects.bulk_create(batch)
    print(f"{args.messages} messages créés en {time.perf_counter() - start:.1f} s", flush=True)

    service = ImapService("127.0.0.1", 0)
    service.start()
    try:
        client = imaplib.IMAP4("127.0.0.1", service.port, timeout=120)
        client.login(user.email, password)
        timed("premier SELECT (attribution des UID)", 1, lambda: client.select("INBOX"))
        timed("SELECT suivant", 5, lambda: client.select("INBOX"))

        def listing() -> None:
            typ, data = client.uid("FETCH", "1:*", "(UID FLAGS RFC822.SIZE INTERNALDATE)")
            assert typ == "OK" and len(data) == args.messages, len(data)

        timed(f"liste de {args.messages} messages (UID FLAGS RFC822.SIZE INTERNALDATE)", 5, listing)

        def headers() -> None:
            typ, data = client.uid("FETCH", "1:*", HEADERS)
            assert typ == "OK" and len(data) >= args.messages

        timed("en-têtes façon Thunderbird (lit chaque fichier)", 3, headers)
        timed("UID SEARCH UNSEEN", 5, lambda: client.uid("SEARCH", "UNSEEN"))
        client.logout()
    finally:
        service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
