"""deploy/multinode.py's processes: each role in a process group of its own, its own
CADUCEE_HOME and log; the other operator's sink; the checks' report; PostgreSQL and Redis."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

SINK = """
import os, ssl, sys
from aiosmtpd.controller import Controller
out = os.open(sys.argv[4], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
class Sink:
    async def handle_DATA(self, server, session, envelope):
        for line in envelope.content.split(b"\\r\\n"):
            if line.lower().startswith(b"message-id:"):
                os.write(out, line.split(b":", 1)[1].strip() + b"\\n")
                break
        else:
            os.write(out, b"(sans Message-ID)\\n")
        return "250 OK"
tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
tls.load_cert_chain(sys.argv[2], sys.argv[3])
c = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]), tls_context=tls)
c.start()
print("SMTP sink ready", flush=True)
import threading; threading.Event().wait()
"""


class Failed(Exception):
    """A check failed: the scenario stops here."""


class Report:
    def __init__(self) -> None:
        self.failures = 0
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f} s] {text}", flush=True)

    def check(self, ok: bool, text: str) -> bool:
        self.say(("OK     " if ok else "ÉCHEC  ") + text)
        self.failures += 0 if ok else 1
        return ok


def wait(what: str, check: Callable[[], bool], seconds: float, step: float = 0.2) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise Failed(f"{what} : pas au bout de {seconds:.0f} s")
        time.sleep(step)


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class Platform:
    """The processes, each in a process group of its own, all stopped by `stop_all`."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def home(self, name: str) -> Path:
        home = self.folder / "homes" / name
        home.mkdir(parents=True, exist_ok=True)
        return home

    def start(self, name: str, command: list[str], **extra: str) -> subprocess.Popen[bytes]:
        env = {**self.env, "CADUCEE_HOME": str(self.home(name)), **extra}
        log = (self.folder / "logs").joinpath(f"{name}.log")
        log.parent.mkdir(exist_ok=True)
        process = subprocess.Popen(  # noqa: S603 - our own commands
            command,
            cwd=ROOT,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def caducee(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        return self.start(name, [sys.executable, "-m", "caducee.cli.main", *args])

    def run(self, name: str, command: list[str], timeout: float = 300) -> str:
        env = {**self.env, "CADUCEE_HOME": str(self.home(name))}
        done = subprocess.run(  # noqa: S603
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise Failed(f"{name} : code {done.returncode}\n{done.stdout}{done.stderr}")
        return done.stdout

    def kill9(self, name: str) -> None:
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)  # gunicorn's workers too
        process.wait(timeout=30)

    def alive(self, name: str) -> bool:
        return self.processes[name].poll() is None

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)

    def log(self, name: str) -> str:
        path = self.folder / "logs" / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def query(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url) as db:
        return [tuple(row) for row in db.execute(sql, params).fetchall()]  # type: ignore[arg-type]


def fresh_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()
