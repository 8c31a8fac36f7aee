"""`caducee scheduler` as real processes sharing one database: one works, the others wait."""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from caducee.core.errors import OperationError
from caducee.scheduler import registry
from tests.databases import fresh_database_url
from tests.mail.instances import ROOT, peer_env
from tests.scheduler.test_runner import only  # noqa: F401

# Jobs that run without any setting (the outbox and the exports register theirs).
PURGES = {
    "purge_sessions",
    "purge_identity",
    "purge_mail_queue",
    "purge_tasks",
    "exports_purge",
    "emails_sweep",
    "emails_purge",
    "imports_recovery",
}


def _database_url(home: Path) -> str:
    return fresh_database_url(home, "caducee_scheduler_processes")


def _env(home: Path, **extra: str) -> dict[str, str]:
    return peer_env(home, CADUCEE_DATABASE_URL=(home / "url").read_text(), **extra)


def _migrated_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "url").write_text(_database_url(home))
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "-v", "0"],
        cwd=ROOT,
        env=_env(home),
        check=True,
        timeout=180,
        capture_output=True,
    )
    return home


def _query(home: Path, sql: str) -> list[tuple[Any, ...]]:
    url = (home / "url").read_text()
    if url.startswith("sqlite:"):
        with sqlite3.connect(home / "caducee.sqlite3") as db:
            return db.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]


def _runs(home: Path) -> dict[str, int]:
    """Runs of the purges (other apps register jobs of their own, e.g. imports_recovery)."""
    rows = _query(home, "SELECT name, runs FROM scheduler_jobstate")
    return {name: runs for name, runs in rows if name in PURGES}


def _states(home: Path) -> int:
    """How many jobs (purges and the jobs other apps register) have a state row."""
    return int(_query(home, "SELECT count(*) FROM scheduler_jobstate")[0][0])


def _enqueued(home: Path) -> int:
    """How many scheduled-job tasks were enqueued."""
    rows = _query(
        home,
        "SELECT count(*) FROM django_tasks_database_dbtaskresult "
        "WHERE task_path = 'caducee.scheduler.tasks.run_scheduled_job'",
    )
    return int(rows[0][0])


def _run_tasks(home: Path) -> str:
    """`caducee worker --batch`: run the enqueued tasks; its output."""
    done = subprocess.run(
        [sys.executable, "-m", "caducee.cli.main", "worker", "--batch"],
        cwd=ROOT,
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _each_ran_once(home: Path) -> bool:
    """Every job that ran (the platform's purges, and any an app registers) ran once."""
    runs = _runs(home)
    return set(runs) >= PURGES and set(runs.values()) == {1}


def _holder(home: Path) -> str:
    rows = _query(home, "SELECT holder FROM scheduler_lease")
    return str(rows[0][0]) if rows else ""


def _start(home: Path, *args: str) -> tuple[Any, queue.Queue[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "caducee.cli.main", "scheduler", *args],
        cwd=ROOT,
        env=_env(home, CADUCEE_SCHEDULER_LEASE_SECONDS="3"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    return process, lines


def _wait_for(lines: queue.Queue[str], text: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    seen: list[str] = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        if text in line:
            return line
    raise AssertionError(f"{text!r} not printed; got {seen}")


def test_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "caducee.cli.main", "scheduler", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and "--once" in done.stdout and "bail" in done.stdout
    assert "sans worker" in done.stdout and "mise en file" in done.stdout.replace("\n", " ")


def test_two_once_at_the_same_time_run_each_job_once(tmp_path: Path) -> None:
    home = _migrated_home(tmp_path)
    env = _env(home)
    command = [sys.executable, "-m", "caducee.cli.main", "scheduler", "--once"]
    first, second = (
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    )
    outputs = [p.communicate(timeout=120)[0] for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outputs
    assert _each_ran_once(home)
    assert sum("Tâche purge_sessions" in out for out in outputs) == 1
    # Later, nothing is due: a third --once runs nothing.
    third = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert "Aucune tâche due." in third.stdout
    assert _each_ran_once(home)


def test_second_scheduler_waits_then_takes_over_a_dead_holder(tmp_path: Path) -> None:
    home = _migrated_home(tmp_path)
    first, first_lines = _start(home)
    second: Any = None
    try:
        _wait_for(first_lines, "Planificateur actif")
        _wait_for(first_lines, "Tâche purge_mail_queue mise en file.")
        holder = _holder(home)
        assert holder.split(":")[1] == str(first.pid)
        second, second_lines = _start(home)
        waiting = _wait_for(second_lines, "Planificateur en attente")
        assert f"détenu par {holder}" in waiting
        time.sleep(4)  # more than a lease: the first renews it, the second keeps waiting
        assert _holder(home) == holder
        assert len(_runs(home)) == len(PURGES)
        jobs = _states(home)  # the jobs enqueued have a state row
        assert _enqueued(home) == jobs  # each due job enqueued once, by the holder
        os.kill(first.pid, signal.SIGKILL)  # dies without releasing its lease
        first.wait(timeout=10)
        started = time.monotonic()
        _wait_for(second_lines, "Planificateur actif", seconds=30)
        assert time.monotonic() - started < 10  # lease of 3 s, renewal every second
        assert _holder(home).split(":")[1] == str(second.pid)
        # The jobs were enqueued and are not due yet: the new holder does not enqueue them.
        time.sleep(2)
        assert _enqueued(home) == jobs
        assert f"{jobs} tâche(s) exécutée(s)." in _run_tasks(home)
        assert _each_ran_once(home)
        second.send_signal(signal.SIGTERM)
        _wait_for(second_lines, "Planificateur arrêté", seconds=20)
        assert second.wait(timeout=20) == 0
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)


# --- In-process: `--once` and the heartbeat --------------------------------------------


@pytest.mark.django_db
def test_once_runs_nothing_while_another_holds_the_lease(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from caducee.cli.main import main
    from caducee.scheduler import lease
    from caducee.scheduler.models import JobState

    assert lease.acquire("autre-serveur:7:beef")
    assert main(["scheduler", "--once"]) == 0
    out = capsys.readouterr().out
    assert "le bail est détenu par autre-serveur:7:beef" in out
    assert "Aucune tâche lancée." in out
    assert not JobState.objects.exists()


@pytest.mark.django_db
def test_once_exits_1_when_a_job_failed_and_runs_the_others(
    capsys: pytest.CaptureFixture[str],
    only: dict[str, registry.Job],  # noqa: F811
) -> None:
    from caducee.cli.main import main

    def boom() -> str:
        raise OperationError("Annuaire injoignable.")

    registry.register(registry.Job("a", "A", lambda: timedelta(hours=1), boom))
    registry.register(registry.Job("b", "B", lambda: timedelta(hours=1), lambda: "fait"))
    assert main(["scheduler", "--once"]) == 1
    out = capsys.readouterr().out
    assert "Tâche a : ÉCHEC — Annuaire injoignable." in out
    assert "Tâche b : fait" in out


@pytest.mark.django_db(transaction=True)
def test_heartbeat_keeps_the_lease_during_a_long_job(
    only: dict[str, registry.Job],  # noqa: F811
    settings: Any,
) -> None:
    from caducee.cli.scheduler import run_once
    from caducee.scheduler import lease
    from caducee.scheduler.models import JobState

    settings.SCHEDULER_LEASE_SECONDS = 1  # renewed every third of a second

    def long_job() -> str:
        time.sleep(2.5)  # more than two leases
        return "refusé" if not lease.acquire("autre:1:x") else "pris"

    registry.register(registry.Job("long", "Longue", lambda: timedelta(hours=1), long_job))
    assert run_once("moi:1:y") == 0
    assert JobState.objects.get(name="long").last_result == "refusé"
    assert lease.acquire("autre:1:x")  # released at the end of --once
