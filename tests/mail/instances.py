"""Helpers to run `caducee smtp` as a separate process with its own home and database."""

from __future__ import annotations

import os
import sqlite3
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.mail.certificates import TestCA, whitelist_xml

ROOT = Path(__file__).resolve().parents[2]


def trusted_sender(folder: Path, domain: str = "medimail.mssante.fr") -> tuple[dict[str, str], Any]:
    """Settings for an instance that trusts a test CA and whitelists `domain` for the
    operator certificate it signed; and that operator's TLS client context."""
    ca = TestCA(folder)
    peer = ca.issue("sender", "medimail-test.mipih.fr", org="GIP MIPIH")
    xml = folder / "listeblanchemssante.xml"
    xml.write_bytes(whitelist_xml({domain: peer.dn}))
    env = {"CADUCEE_SMTP_TRUST_ANCHORS": str(ca.cert), "CADUCEE_MSSANTE_WHITELIST": str(xml)}
    context: ssl.SSLContext = peer.client_context()
    return env, context


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peer_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a separate instance: production's, so no Django async escape."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CADUCEE_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(CADUCEE_HOME=str(home), DJANGO_SETTINGS_MODULE="caducee.settings", **extra)
    env.setdefault("CADUCEE_IMAP", f"127.0.0.1:{_free_port()}")  # never the shared default port
    return env


def migrate(home: Path, **env: str) -> None:
    """`caducee migrate` for a separate instance: the other commands refuse a fresh database."""
    done = subprocess.run(
        [sys.executable, "-m", "caducee.cli.main", "migrate"],
        cwd=ROOT,
        env=peer_env(home, **env),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def setup_peer(home: Path, domain: str, particle: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tests.mail.peer_setup", domain, particle],
        cwd=ROOT,
        env=peer_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def start_smtp(home: Path, smtp: int, submission: int, *args: str, **env: str) -> Any:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "caducee.cli.main",
            "smtp",
            "--smtp",
            f"127.0.0.1:{smtp}",
            "--submission",
            f"127.0.0.1:{submission}",
            *args,
        ],
        cwd=ROOT,
        env=peer_env(home, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # printed once both listeners are up
    for _ in range(3):  # after the whitelist's line, when one is configured
        if "SMTP" in line or not line:
            break
        line = process.stdout.readline()
    assert "SMTP" in line, line + process.stdout.read()
    return process


def query(home: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(home / "caducee.sqlite3", timeout=10) as db:
        return list(db.execute(sql, params))


def wait_for(check: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False
