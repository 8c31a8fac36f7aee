"""An import killed (SIGKILL) in the middle of its writing leaves the database as before.

The CLI runs as a real process on a file-based database of its own: SQLite in a temporary
CADUCEE_HOME, or, when the tests run on PostgreSQL, a dedicated PostgreSQL database.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.databases import fresh_database_url
from tests.factories import finess
from tests.loadusers.builders import csv_bytes, line

SNAPSHOT = """
import hashlib, json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caducee.settings")
import django
django.setup()
from caducee.accounts.models import Account, ConnectionLink
from caducee.audit.models import AuditChainHead, AuditEvent
from caducee.people.models import User
digest = hashlib.sha256()
for row in Account.objects.order_by("pk").values_list().iterator():
    digest.update(repr(row).encode())
head = list(AuditChainHead.objects.order_by("chain").values_list("chain", "length", "hash"))
print(json.dumps({
    "accounts": Account.objects.count(),
    "users": User.objects.count(),
    "links": ConnectionLink.objects.count(),
    "events": AuditEvent.objects.count(),
    "head": head,
    "digest": digest.hexdigest(),
}))
"""


def _database_url(home: Path) -> str:
    return fresh_database_url(home, "caducee_loadusers_kill")


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "caducee.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _snapshot(env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", SNAPSHOT],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_killed_import_changes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "CADUCEE_HOME": str(home),
        "CADUCEE_DATABASE_URL": _database_url(home),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    assert _cli(env, "migrate").returncode == 0
    created = _cli(env, "structure", "create", "--name", "CH Kill", "--finess", finess(901))
    assert created.returncode == 0, created.stderr
    first = tmp_path / "first.csv"
    existing = [line("MED", f"old{i}@kill.fr") for i in range(50)]
    first.write_bytes(csv_bytes(existing))
    assert _cli(env, "loadusers", "import", str(first), "--structure", "CH Kill").returncode == 0
    before = _snapshot(env)
    assert before["accounts"] == 50

    big = tmp_path / "big.csv"
    changed = [{**data, "city": "NICE", "department": "06", "region": ""} for data in existing]
    lines = changed + [line("MED", f"new{i}@kill.fr") for i in range(30_000)]
    big.write_bytes(csv_bytes(lines))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "caducee.cli.main",
            "loadusers",
            "import",
            str(big),
            "--structure",
            "CH Kill",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    writing = threading.Event()

    def watch() -> None:
        assert process.stderr is not None
        for text in process.stderr:
            if text.startswith("Écriture"):
                writing.set()

    threading.Thread(target=watch, daemon=True).start()
    try:
        assert writing.wait(timeout=240), "the import never reached its writing phase"
        time.sleep(1.0)  # well inside the writing of 30,000 accounts
        assert process.poll() is None, "the import ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert _snapshot(env) == before
    verify = _cli(env, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
