"""Issue #12, with real processes: the SMTP relay is down during an import with
« notifier »; the import commits. After the relay comes back, `caducee worker` sends every
email exactly once."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.emails.relay import picky_relay
from tests.factories import finess
from tests.loadusers.builders import csv_bytes, line
from tests.mail.conftest import free_port
from tests.tasks.processes import caducee, django_code, migrated_home

COUNT_ROWS = """
import json
from django.db.models import Count
from caducee.emails.models import OutgoingEmail
from caducee.accounts.models import Account
rows = OutgoingEmail.objects.values("status").annotate(n=Count("pk")).order_by()
print(json.dumps({"accounts": Account.objects.count(), **{r["status"]: r["n"] for r in rows}}))
"""
ACCOUNTS = 210  # two tasks of emails


def rows(home: Path) -> dict[str, int]:
    found: dict[str, int] = json.loads(django_code(home, COUNT_ROWS).strip().splitlines()[-1])
    return found


def test_an_import_commits_with_the_relay_down_and_each_email_leaves_once(
    tmp_path: Path,
) -> None:
    home = migrated_home(tmp_path, "caducee_emails_outage")
    port = free_port()  # the relay's port: nothing listens there yet
    relay: dict[str, Any] = {
        "CADUCEE_EMAIL_HOST": "127.0.0.1",
        "CADUCEE_EMAIL_PORT": str(port),
        "CADUCEE_EMAIL_TIMEOUT": "5",
        "CADUCEE_TASK_RETRY_SECONDS": "1",
    }
    made = caducee(home, "structure", "create", "--name", "CH Relais", "--finess", finess(812))
    assert made.returncode == 0, made.stderr
    source = tmp_path / "comptes.csv"
    source.write_bytes(csv_bytes([line("MED", f"m{i}@relais.fr") for i in range(ACCOUNTS)]))

    imported = caducee(
        home, "loadusers", "import", str(source), "--structure", "CH Relais", "--notify", **relay
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert f"{ACCOUNTS} compte(s) créé(s)" in imported.stdout
    assert rows(home) == {"accounts": ACCOUNTS, "pending": ACCOUNTS}

    down = caducee(home, "worker", "--batch", **relay)  # each task meets the closed port
    assert down.returncode == 0, down.stdout + down.stderr
    assert rows(home) == {"accounts": ACCOUNTS, "pending": ACCOUNTS}

    with picky_relay(port, picky=False) as back:
        deadline = time.monotonic() + 90
        while len(back.recipients()) < ACCOUNTS:
            assert time.monotonic() < deadline, rows(home)
            time.sleep(1)  # the retries are due a second after the failure
            ran = caducee(home, "worker", "--batch", **relay)
            assert ran.returncode == 0, ran.stdout + ran.stderr
        again = caducee(home, "worker", "--batch", **relay)  # nothing left to send
        assert again.returncode == 0 and again.stdout.startswith("0 tâche(s)"), again.stdout
        received = Counter(back.recipients())
    assert rows(home) == {"accounts": ACCOUNTS, "sent": ACCOUNTS}
    assert received == Counter({f"m{i}@relais.fr": 1 for i in range(ACCOUNTS)})
