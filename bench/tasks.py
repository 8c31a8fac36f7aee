"""Task queue benchmark: tasks per second, and platform emails per second through the queue.

Usage:
    .venv/bin/python bench/tasks.py [--tasks 5000] [--lines 100000] [--workers 2]
        [--postgres postgresql://postgres@127.0.0.1:5432/caducee_bench_tasks]
        [--redis redis://127.0.0.1:6379/9] [--no-sqlite] [--no-postgres]

Two configurations, each on a fresh database: SQLite with the database task backend (the
embedded default of `make run`), and PostgreSQL with the Redis backend
(CADUCEE_TASKS_URL). For each:

1. tasks: enqueue `--tasks` no-op tasks (bench/task_probe.py) from one process, then run
   them with one `caducee worker --batch` process: enqueues per second, and tasks per second
   (the worker's wall time, start-up included);
2. emails: import a loaduser file of `--lines` lines (bench/loadusers.py's generator) with
   « notifier », which queues one finalisation email per nominative account; then
   `--workers` `caducee worker --batch --queues default` processes hand them to a local
   SMTP sink (aiosmtpd, counting only) on loopback: emails per second, and the time of the
   whole queue. The target of issue #12: 100,000 finalisation emails in under 5 minutes.
3. reference, same run: one smtplib client, in a process of its own, sending the same
   number of similar messages (at most 20,000) to the same sink over one connection (the
   ceiling of the SMTP path on this machine).
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import machine  # noqa: E402
from bench.loadusers import STRUCTURE, _postgres_fresh, generate, load  # noqa: E402
from bench.loadusers import step as loadusers_step  # noqa: E402


class CountingSink:
    """aiosmtpd on a free loopback port that only counts what it accepts."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.count = 0
        self.recipients: set[str] = set()
        self.duplicates = 0
        self._lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                with sink._lock:
                    sink.count += 1
                    for rcpt in envelope.rcpt_tos:
                        if rcpt in sink.recipients:
                            sink.duplicates += 1
                        sink.recipients.add(rcpt)
                return "250 2.0.0 OK"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=_free_port())
        self._controller.start()
        self.port = self._controller.port

    def reset(self) -> None:
        with self._lock:
            self.count, self.duplicates = 0, 0
            self.recipients.clear()

    def stop(self) -> None:
        self._controller.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- Steps, each in its own process --------------------------------------------------


def step(name: str, arg: str) -> dict[str, Any]:
    if name == "reference":  # no Django: a bare client in a process of its own
        port, count = (int(part) for part in arg.split(":"))
        return {"seconds": reference(port, count)}
    if name == "setup":  # the structure of bench/loadusers.py
        return loadusers_step("setup", "")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caducee.settings")
    from caducee.cli.main import setup_django

    setup_django()
    from caducee.core.context import cli_context

    ctx = cli_context()
    started = time.perf_counter()
    answer: dict[str, Any] = {}
    if name == "enqueue":
        from bench.task_probe import noop

        for n in range(int(arg)):
            noop.enqueue(n)
    elif name == "import":
        from caducee.loadusers.importing import import_loadusers
        from caducee.structures.access import find_structure

        result = import_loadusers(ctx, find_structure(STRUCTURE), Path(arg), notify=True)
        answer = dict(result.counts)
    elif name == "queued-emails":
        from caducee.emails.models import OutgoingEmail

        answer["pending"] = OutgoingEmail.objects.exclude(status="sent").count()
        answer["sent"] = OutgoingEmail.objects.filter(status="sent").count()
    answer["seconds"] = time.perf_counter() - started
    return answer


def _run_step(env: dict[str, str], name: str, arg: str = "") -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--step", name, "--arg", arg],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"step {name} failed:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _workers(env: dict[str, str], count: int, queues: str) -> float:
    """Run `count` `caducee worker --batch` processes together; their wall time."""
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "caducee.cli.main", "worker", "--batch", "--queues", queues],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(count)
    ]
    for process in processes:
        out, _ = process.communicate(timeout=3600)
        if process.returncode != 0:
            raise SystemExit(f"worker failed:\n{out}")
    return time.perf_counter() - started


def reference(port: int, count: int) -> float:
    """One smtplib client, one connection, `count` messages of a finalisation's size."""
    body = "Bonjour,\n\n" + "Votre compte a été créé. Lien : https://caducee.example/x\n" * 30
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for n in range(count):
            msg = EmailMessage()
            msg["From"] = "ne-pas-repondre@caducee.localhost"
            msg["To"] = f"ref{n}@bench.example.org"
            msg["Subject"] = "Finalisez votre compte"
            msg.set_content(body)
            msg.add_alternative(f"<p>{body}</p>", subtype="html")
            client.send_message(msg)
    return time.perf_counter() - started


def bench(label: str, env_extra: dict[str, str], args: argparse.Namespace, source: Path) -> None:
    sink = CountingSink()
    try:
        with tempfile.TemporaryDirectory(prefix="caducee-bench-tasks-") as home:
            env = {**os.environ, "CADUCEE_HOME": home, "PYTHONPATH": str(ROOT), **env_extra}
            env.update(
                CADUCEE_EMAIL_HOST="127.0.0.1",
                CADUCEE_EMAIL_PORT=str(sink.port),
                CADUCEE_UPLOAD_MAX_MB=str(max(20, int(source.stat().st_size / 2**20) + 5)),
            )
            subprocess.run(
                [sys.executable, "-m", "caducee.cli.main", "migrate"],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            _run_step(env, "setup")
            print(f"\n== {label} ==  ({load()})", flush=True)
            queued = _run_step(env, "enqueue", str(args.tasks))
            print(
                f"  enqueue {args.tasks} tasks: {queued['seconds']:.1f} s "
                f"({args.tasks / queued['seconds']:.0f} tasks/s)",
                flush=True,
            )
            ran = _workers(env, 1, "default")
            print(
                f"  run them, 1 worker (start-up included): {ran:.1f} s "
                f"({args.tasks / ran:.0f} tasks/s)",
                flush=True,
            )
            imported = _run_step(env, "import", str(source))
            expected = _run_step(env, "queued-emails")["pending"]
            print(
                f"  import {args.lines} lines with « notifier »: {imported['seconds']:.1f} s, "
                f"{imported.get('created', '?')} accounts, {expected} emails queued",
                flush=True,
            )
            sink.reset()
            drained = _workers(env, args.workers, "default")
            after = _run_step(env, "queued-emails")
            rate = sink.count / drained if drained else 0
            if expected < 100_000:
                verdict = "not checked (fewer than 100,000 emails: use --lines 124000)"
            else:
                verdict = "OK" if drained < 300 and sink.count == expected else "MISSED"
            print(
                f"  emails through the queue, {args.workers} worker(s): {sink.count} received "
                f"in {drained:.1f} s ({rate:.0f} emails/s), {sink.duplicates} duplicates, "
                f"{after['pending']} not sent — target 100,000 in < 300 s: {verdict}",
                flush=True,
            )
            sink.reset()
            sent = min(expected, 20_000) or 1000
            ref = _run_step(env, "reference", f"{sink.port}:{sent}")["seconds"]
            print(
                f"  reference, one smtplib client process to the same sink: {sent} in {ref:.1f} s "
                f"({sent / ref:.0f} emails/s); queue/reference = {rate / (sent / ref):.0%}",
                flush=True,
            )
    finally:
        sink.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--postgres", default="postgresql://postgres@127.0.0.1:5432/caducee_bench_tasks"
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--arg", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step, args.arg)))
        return
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "loaduser.csv"
        source.write_bytes(generate(args.lines))
        if not args.no_sqlite:
            bench("SQLite + database task backend", {"CADUCEE_DATABASE_URL": ""}, args, source)
        if not args.no_postgres:
            import redis

            redis.Redis.from_url(args.redis).flushdb()
            _postgres_fresh(args.postgres)
            bench(
                "PostgreSQL + Redis task backend",
                {"CADUCEE_DATABASE_URL": args.postgres, "CADUCEE_TASKS_URL": args.redis},
                args,
                source,
            )


if __name__ == "__main__":
    main()
