"""`caducee web`: the web app alone, under gunicorn or the embedded server."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_schema import caducee
from tests.mail.conftest import free_port
from tests.mail.instances import ROOT, migrate, peer_env


def start_web(home: Path, http: int, *args: str, **env: str) -> tuple[Any, str]:
    """`caducee web` in its own process, and the line where it says it listens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "caducee.cli.main", "web", "--http", f"127.0.0.1:{http}", *args],
        cwd=ROOT,
        env=peer_env(home, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    line = process.stdout.readline()
    assert f"Caducée écoute sur http://127.0.0.1:{http}/" in line, line + process.stderr.read()
    return process, line


def login_page(http: int) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{http}/connexion/", timeout=5) as r:
                assert r.status == 200
                return str(r.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop(process: Any) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    migrate(tmp_path)
    return tmp_path


def test_web_under_gunicorn_serves_the_login_page_and_no_smtp(home: Path) -> None:
    http, smtp = free_port(), free_port()
    process, line = start_web(home, http, CADUCEE_WEB_WORKERS="2", CADUCEE_SMTP=f"127.0.0.1:{smtp}")
    try:
        assert "(gunicorn, 2 processus)" in line
        page = login_page(http)
        assert "<title>Connexion — Caducée</title>" in page
        with socket.socket() as sock:  # no SMTP listener in this role
            assert sock.connect_ex(("127.0.0.1", smtp)) != 0
        children = subprocess.run(
            ["pgrep", "-P", str(process.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        assert len(children) == 2  # the gunicorn workers, forked by this very process
    finally:
        stop(process)
    assert process.returncode == 0


def test_web_embedded_serves_the_login_page(home: Path) -> None:
    http = free_port()
    process, line = start_web(home, http, "--embedded")
    try:
        assert "(serveur intégré, web seul)" in line
        assert "<title>Connexion — Caducée</title>" in login_page(http)
    finally:
        stop(process)


def test_web_on_a_taken_port_says_so_in_french(home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        done = caducee(home, "web", "--http", f"127.0.0.1:{port}")
    assert done.returncode == 1
    assert f"L'adresse 127.0.0.1:{port} est déjà utilisée" in done.stderr
    assert "--http / CADUCEE_HTTP" in done.stderr and "Traceback" not in done.stderr
    assert "écoute sur" not in done.stdout


def test_web_with_a_bad_worker_count_says_so_in_french(home: Path) -> None:
    env_done = subprocess.run(
        [sys.executable, "-m", "caducee.cli.main", "web", "--http", f"127.0.0.1:{free_port()}"],
        cwd=ROOT,
        env=peer_env(home, CADUCEE_WEB_WORKERS="100"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert env_done.returncode == 1
    assert "Nombre de processus web invalide (100)" in env_done.stderr
    assert "CADUCEE_WEB_WORKERS" in env_done.stderr and "Traceback" not in env_done.stderr
