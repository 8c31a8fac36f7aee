"""Real `caducee` processes on a database of their own: workers share the queue and never
run a task twice, `caducee serve` runs tasks and the scheduler, roles refuse an outdated
schema."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.mail.conftest import free_port
from tests.tasks import processes

PROBES = 300


def labels(trace: Path) -> list[str]:
    if not trace.exists():
        return []
    return [line.split()[0] for line in trace.read_text(encoding="utf-8").splitlines()]


def wait_for_lines(trace: Path, count: int, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while len(labels(trace)) < count and time.monotonic() < deadline:
        time.sleep(0.2)


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        out, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate(timeout=10)
    return out


def statuses(home: Path) -> dict[str, int]:
    out = processes.django_code(
        home,
        "from collections import Counter\n"
        "from django_tasks_db.models import DBTaskResult\n"
        "print(dict(Counter(DBTaskResult.objects.values_list('status', flat=True))))",
    )
    return dict(eval(out.strip()))  # noqa: S307 — our own subprocess's printed dict


def test_two_workers_never_run_the_same_task(tmp_path: Path) -> None:
    home = processes.migrated_home(tmp_path, "caducee_procs_two_workers")
    trace = tmp_path / "trace"
    processes.django_code(
        home,
        "from tests.tasks import probe\n"
        f"for n in range({PROBES}):\n"
        f"    probe.record.enqueue({str(trace)!r}, f'p{{n}}')\n",
    )
    workers = [processes.start(home, "worker", "--no-delivery") for _ in range(2)]
    try:
        wait_for_lines(trace, PROBES)
        time.sleep(1)  # a task run twice would show up now
    finally:
        outputs = [stop(worker) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), outputs
    ready = "Worker prêt : files urgent, default, imports (en base de données)."
    assert all(ready in out and "Worker arrêté." in out for out in outputs), outputs
    ran = labels(trace)
    assert sorted(ran) == sorted(f"p{n}" for n in range(PROBES))  # each exactly once
    pids = {line.split()[1] for line in trace.read_text(encoding="utf-8").splitlines()}
    assert pids <= {str(worker.pid) for worker in workers}
    assert statuses(home) == {"SUCCESSFUL": PROBES}


def test_serve_runs_tasks_and_the_scheduler(tmp_path: Path) -> None:
    home = processes.migrated_home(tmp_path, "caducee_procs_serve")
    trace = tmp_path / "trace"
    http, smtp, submission = free_port(), free_port(), free_port()
    serve = processes.start(
        home,
        "serve",
        "--http",
        f"127.0.0.1:{http}",
        "--smtp",
        f"127.0.0.1:{smtp}",
        "--submission",
        f"127.0.0.1:{submission}",
    )
    try:
        processes.django_code(
            home,
            "from tests.tasks import probe\n"
            f"probe.record.enqueue({str(trace)!r}, 'par-serve')\n"
            f"probe.record_urgent.enqueue({str(trace)!r}, 'urgent')\n",
        )
        wait_for_lines(trace, 2, seconds=60)
        assert sorted(labels(trace)) == ["par-serve", "urgent"]
        code = (
            "from caducee.scheduler.models import JobState\n"
            "print(sorted(JobState.objects.filter(runs__gte=1).values_list('name', flat=True)))"
        )
        deadline = time.monotonic() + 60
        ran: list[str] = []
        while time.monotonic() < deadline:
            ran = eval(processes.django_code(home, code).strip())  # noqa: S307
            if {"purge_sessions", "purge_identity", "purge_mail_queue"} <= set(ran):
                break
            time.sleep(0.5)
        assert {"purge_sessions", "purge_identity", "purge_mail_queue"} <= set(ran)
    finally:
        out = stop(serve)
    assert "Tâche purge_sessions mise en file." in out, out
    assert "Traceback" not in out, out


def test_worker_refuses_an_outdated_schema(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "url").write_text(f"sqlite:///{home / 'caducee.sqlite3'}")
    done = processes.caducee(home, "worker", "--no-delivery", timeout=60)
    assert done.returncode == 1
    assert "La base de données n'est pas à jour" in done.stderr
    assert "Lancez d'abord « caducee migrate »" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "Worker prêt" not in done.stdout


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("web", "gunicorn"),
        ("worker", "files à traiter"),
        ("smtp", "SMTP"),
        ("scheduler", "mise en file"),
        ("migrate", "seule commande qui modifie le schéma"),
        ("serve", "tout-en-un"),
    ],
)
def test_each_role_has_a_french_help(
    command: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from caducee.cli.main import main

    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert out.startswith(f"usage: caducee {command}")
    assert words in out
    assert "show this help" not in out  # argparse's English default replaced
