"""The Redis backend (CADUCEE_TASKS_URL=redis://…) with real processes on the local Redis.

Each pass uses a Redis database of its own, flushed first: 7 on SQLite, 8 on PostgreSQL
(so both passes may run at once). When Redis does not answer, these tests are skipped,
saying why; CI sets CADUCEE_REQUIRE_REDIS=1 (.ci/run), and then they fail instead.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tasks import processes
from tests.tasks.test_processes import labels, stop, wait_for_lines

HOST, PORT = "127.0.0.1", 6379
PROBES = 300


def _redis_db() -> int:
    url = os.environ.get("CADUCEE_DATABASE_URL", "")
    return 8 if url.startswith(("postgres://", "postgresql://")) else 7


@pytest.fixture
def redis_url() -> Iterator[str]:
    import redis

    url = f"redis://{HOST}:{PORT}/{_redis_db()}"
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        reason = f"Redis ne répond pas sur {HOST}:{PORT} ({exc})"
        if os.environ.get("CADUCEE_REQUIRE_REDIS"):
            pytest.fail(f"{reason} alors que CADUCEE_REQUIRE_REDIS est défini.")
        pytest.skip(f"{reason} : tests du backend Redis sautés (CI les exige).")
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def _results(home: Path, url: str) -> dict[str, int]:
    """Task counts per RQ registry, for every queue."""
    out = processes.django_code(
        home,
        "import django_rq\n"
        "from caducee.tasks.queues import ALL\n"
        "counts = {'queued': 0, 'finished': 0, 'failed': 0, 'scheduled': 0}\n"
        "for name in ALL:\n"
        "    q = django_rq.get_queue(name)\n"
        "    counts['queued'] += q.count\n"
        "    counts['finished'] += q.finished_job_registry.count\n"
        "    counts['failed'] += q.failed_job_registry.count\n"
        "    counts['scheduled'] += q.scheduled_job_registry.count\n"
        "print(counts)",
        CADUCEE_TASKS_URL=url,
    )
    return dict(eval(out.strip()))  # noqa: S307 — our own subprocess's printed dict


def test_a_worker_elsewhere_runs_tasks_and_retries_due_later(
    tmp_path: Path, redis_url: str
) -> None:
    home = processes.migrated_home(tmp_path, "caducee_procs_redis_one", CADUCEE_TASKS_URL=redis_url)
    trace = tmp_path / "trace"
    flaky = tmp_path / "flaky"
    worker = processes.start(
        home,
        "worker",
        "--no-delivery",
        CADUCEE_TASKS_URL=redis_url,
        CADUCEE_TASK_RETRY_SECONDS="1",  # the worker enqueues the retries
    )
    try:
        out = processes.django_code(
            home,
            "from tests.tasks import probe\n"
            f"result = probe.record.enqueue({str(trace)!r}, 'ailleurs')\n"
            f"probe.flaky.enqueue({str(flaky)!r}, 2)\n"
            "print(result.status)",
            CADUCEE_TASKS_URL=redis_url,
        )
        assert out.strip() == "READY"
        wait_for_lines(trace, 1, seconds=30)
        deadline = time.monotonic() + 30  # retried after 1 s, then 2 s (RQ's scheduled registry)
        while len(labels(flaky)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        output = stop(worker)
    assert worker.returncode == 0, output
    assert "Worker prêt : files urgent, default, imports (Redis)." in output
    assert "Worker arrêté." in output
    assert [line.split()[1] for line in trace.read_text().splitlines()] == [str(worker.pid)]
    assert flaky.read_text().splitlines() == ["attempt 1", "attempt 2", "attempt 3"]
    assert _results(home, redis_url) == {"queued": 0, "finished": 4, "failed": 0, "scheduled": 0}


def test_queue_state_for_the_console(tmp_path: Path, redis_url: str) -> None:
    """What « Tâches planifiées » shows, read from RQ: tasks ready and their wait, retries
    due later, the last failure and its error."""
    home = processes.migrated_home(
        tmp_path, "caducee_procs_redis_state", CADUCEE_TASKS_URL=redis_url
    )
    enqueue_flaky = (
        f"from tests.tasks import probe\nprobe.flaky.enqueue({str(tmp_path / 'f')!r}, 5)\n"
    )
    for attempts in ("1", "10"):  # fails for good at once; then fails and is retried later
        processes.django_code(home, enqueue_flaky, CADUCEE_TASKS_URL=redis_url)
        done = processes.caducee(
            home,
            "worker",
            "--batch",
            CADUCEE_TASKS_URL=redis_url,
            CADUCEE_TASK_RETRY_ATTEMPTS=attempts,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    out = processes.django_code(
        home,
        "import time\n"
        "from tests.tasks import probe\n"
        "from caducee.tasks.status import queue_states, recent_failures\n"
        f"probe.record.enqueue({str(tmp_path / 'trace')!r}, 'attend')\n"
        "time.sleep(1.1)\n"
        "for q in queue_states(): print(q.name, q.ready, q.waited, q.running, q.later)\n"
        "for f in recent_failures(): print(f.task, f.queue, f.error)\n",
        CADUCEE_TASKS_URL=redis_url,
    )
    assert out.strip().splitlines() == [
        "urgent 0 — 0 0",
        "default 1 1 s 0 1",
        "imports 0 — 0 0",
        "tests.tasks.probe.flaky default ConnectionRefusedError: relais injoignable",
    ]


def test_two_workers_never_run_the_same_task(tmp_path: Path, redis_url: str) -> None:
    home = processes.migrated_home(tmp_path, "caducee_procs_redis_two", CADUCEE_TASKS_URL=redis_url)
    trace = tmp_path / "trace"
    processes.django_code(
        home,
        "from tests.tasks import probe\n"
        f"for n in range({PROBES}):\n"
        f"    probe.record.enqueue({str(trace)!r}, f'r{{n}}')\n",
        CADUCEE_TASKS_URL=redis_url,
    )
    workers = [
        processes.start(home, "worker", "--no-delivery", CADUCEE_TASKS_URL=redis_url)
        for _ in range(2)
    ]
    try:
        wait_for_lines(trace, PROBES)
        time.sleep(1)  # a task run twice would show up now
    finally:
        outputs = [stop(worker) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), outputs
    assert sorted(labels(trace)) == sorted(f"r{n}" for n in range(PROBES))
    pids = {line.split()[1] for line in trace.read_text().splitlines()}
    assert pids <= {str(worker.pid) for worker in workers}
    counts = _results(home, redis_url)
    assert counts == {"queued": 0, "finished": PROBES, "failed": 0, "scheduled": 0}


def test_batch_says_in_french_when_redis_does_not_answer(tmp_path: Path) -> None:
    from tests.mail.conftest import free_port

    url = f"redis://{HOST}:{free_port()}/0"  # nothing listens there
    home = processes.migrated_home(tmp_path, "caducee_procs_redis_down", CADUCEE_TASKS_URL=url)
    done = processes.caducee(home, "worker", "--batch", CADUCEE_TASKS_URL=url, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("Erreur : Redis ne répond pas (CADUCEE_TASKS_URL)")
    assert "Traceback" not in done.stderr + done.stdout


def test_a_worker_started_before_redis_runs_tasks_once_it_answers(tmp_path: Path) -> None:
    """A Redis of its own on a free loopback port, started after the worker."""
    import shutil

    from tests.mail.conftest import free_port

    server_path = shutil.which("redis-server")
    if server_path is None:
        if os.environ.get("CADUCEE_REQUIRE_REDIS"):
            pytest.fail("redis-server manque alors que CADUCEE_REQUIRE_REDIS est défini.")
        pytest.skip("redis-server manque : test de reconnexion sauté (CI l'exige).")
    port = free_port()
    url = f"redis://{HOST}:{port}/0"
    home = processes.migrated_home(tmp_path, "caducee_procs_redis_late", CADUCEE_TASKS_URL=url)
    trace = tmp_path / "trace"
    worker = processes.start(
        home, "worker", "--no-delivery", "--queues", "default", CADUCEE_TASKS_URL=url
    )
    server = None
    first = ""
    try:
        assert worker.stdout is not None
        first = worker.stdout.readline()  # « Worker prêt » or the warning, after Django's setup
        time.sleep(1.5)  # the worker meets no Redis, and waits
        server = subprocess.Popen(
            [server_path, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.django_code(
            home,
            "import time\n"
            "from tests.tasks import probe\n"
            "for _ in range(50):\n"
            "    try:\n"
            f"        probe.record.enqueue({str(trace)!r}, 'tard')\n"
            "        break\n"
            "    except Exception:\n"
            "        time.sleep(0.2)\n",
            CADUCEE_TASKS_URL=url,
        )
        wait_for_lines(trace, 1, seconds=30)
    finally:
        output = stop(worker)
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
    assert labels(trace) == ["tard"], output
    assert "Redis ne répond pas" in first + output
    assert worker.returncode == 0, output
