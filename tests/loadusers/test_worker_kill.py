"""A worker killed (SIGKILL) in the middle of an import's writing pass: nothing changed,
then the job runs again on another worker and completes, each account created once.

Real processes on a database of their own (SQLite file, or a dedicated PostgreSQL
database on the PostgreSQL pass): `caducee worker --queues imports`, then
`caducee scheduler --once` for the recovery, then a second worker.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from tests.loadusers.builders import csv_bytes, line
from tests.mail.instances import ROOT
from tests.tasks import processes

LINES = 10_000
WRITING = "Écriture des comptes"

SETUP = """
from caducee.core.context import Context
from django.core.files.base import ContentFile
from caducee.loadusers import jobs
from tests import factories
structure = factories.make_structure("CH Kill")
alice = factories.make_admin(structure, "alice@ch-kill.fr")
ctx = Context(user=alice, channel="web", ip="127.0.0.1")
data = open({path!r}, "rb").read()
job = jobs.start_import(
    ctx, structure, ContentFile(data, name="gros.csv"), notify=False, visible=False
)
print(job.pk)
"""

CONFIRM = """
from caducee.core.context import Context
from caducee.loadusers import jobs
from caducee.loadusers.models import ImportJob
job = ImportJob.objects.get(pk={job_id})
jobs.confirm(job, Context(user=job.actor, channel="web", ip="127.0.0.1"))
"""


def query(home: Path, sql: str, *params: Any) -> tuple[Any, ...]:
    """One row, read straight from the instance's database (no Django in this process)."""
    url = (home / "url").read_text()
    if url.startswith("sqlite"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"), timeout=10)) as db:
            found = db.execute(sql.replace("%s", "?"), params).fetchone()
    else:
        import psycopg

        with psycopg.connect(url) as db:
            found = db.execute(sql, params).fetchone()  # type: ignore[arg-type]
    assert found is not None
    return tuple(found)


JOB_COLUMNS = ("status", "phase", "lines_done", "claim", "runs", "created", "error")
JOB_SQL = (
    "SELECT status, phase, lines_done, claim, runs, created, error "
    "FROM loadusers_importjob WHERE id = %s"
)


def job_row(home: Path, job_id: int) -> dict[str, Any]:
    return dict(zip(JOB_COLUMNS, query(home, JOB_SQL, job_id), strict=True))


def accounts(home: Path) -> tuple[int, int]:
    count, distinct = query(home, "SELECT count(*), count(DISTINCT email) FROM accounts_account")
    return int(count), int(distinct)


def wait_until(what: str, check: Callable[[], bool], timeout: float, *alive: Any) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        for process in alive:
            assert process.poll() is None, f"{what}: the worker stopped"
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        time.sleep(0.05)


def start_worker(home: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "caducee.cli.main",
            "worker",
            "--queues",
            "imports",
            "--no-delivery",
        ],
        cwd=ROOT,
        env=processes.env(home),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def test_a_killed_worker_changes_nothing_and_the_job_completes_on_another(
    tmp_path: Path,
) -> None:
    home = processes.migrated_home(tmp_path, "caducee_imports_worker_kill")
    source = tmp_path / "gros.csv"
    source.write_bytes(csv_bytes([line("MED", f"n{i}@kill.fr") for i in range(LINES)]))
    job_id = int(processes.django_code(home, SETUP.format(path=str(source))).strip())
    log = tmp_path / "workers.log"
    postgres = not (home / "url").read_text().startswith("sqlite")

    first = start_worker(home, log)
    try:
        wait_until("preview", lambda: job_row(home, job_id)["status"] == "previewed", 60, first)
        processes.django_code(home, CONFIRM.format(job_id=job_id))

        def writing() -> bool:
            row = job_row(home, job_id)
            in_pass = row["status"] == "running" and row["phase"] == WRITING
            # PostgreSQL: the writing progress is visible to other processes while the
            # import's transaction is open.
            return in_pass and (row["lines_done"] > 0 if postgres else True)

        wait_until("writing pass", writing, 60, first)
        if not postgres:
            time.sleep(0.3)  # well inside the writing of 10,000 accounts (2 s or more)
        assert first.poll() is None, "the import ended before the worker could be killed"
        os.kill(first.pid, signal.SIGKILL)
    finally:
        first.kill()
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    killed = job_row(home, job_id)
    assert killed["status"] == "running" and killed["runs"] == 1, killed
    assert accounts(home) == (0, 0)  # the transaction never committed

    recovery = processes.caducee(home, "scheduler", "--once")  # the dead worker's job
    assert recovery.returncode == 0, recovery.stdout + recovery.stderr
    assert "Tâche imports_recovery : 1 import(s) relancé(s)" in recovery.stdout
    second = start_worker(home, log)
    try:
        wait_until("completion", lambda: job_row(home, job_id)["status"] != "running", 90, second)
    finally:
        stop(second)
    done = job_row(home, job_id)
    assert (done["status"], done["created"], done["runs"], done["error"]) == ("done", LINES, 2, "")
    assert accounts(home) == (LINES, LINES)  # every account, once
    created = "SELECT count(*) FROM audit_auditevent WHERE action = 'account.create'"
    assert query(home, created) == (LINES,)  # audited once each
