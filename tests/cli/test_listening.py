"""A taken listening address gets a French message naming it and what to change."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mail.conftest import free_port
from tests.mail.instances import ROOT, migrate, peer_env


@pytest.fixture
def taken() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def caducee(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    migrate(tmp_path)
    return subprocess.run(
        [sys.executable, "-m", "caducee.cli.main", *args],
        cwd=ROOT,
        env=peer_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_smtp_on_a_taken_port(tmp_path: Path, taken: int) -> None:
    done = caducee(
        tmp_path, "smtp", "--smtp", f"127.0.0.1:{taken}", "--submission",
        f"127.0.0.1:{free_port()}", "--no-delivery",
    )  # fmt: skip
    assert done.returncode == 1
    assert f"L'adresse 127.0.0.1:{taken} est déjà utilisée" in done.stderr
    assert "--smtp / CADUCEE_SMTP" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_submission_on_a_taken_port_stops_the_inbound_listener(taken: int, db: None) -> None:
    from caducee.cli.mail import start_services
    from caducee.config import ConfigError

    inbound = free_port()
    with pytest.raises(ConfigError, match="--submission / CADUCEE_SUBMISSION"):
        start_services(f"127.0.0.1:{inbound}", f"127.0.0.1:{taken}", delivery=False)
    with socket.socket() as sock:  # same process: the inbound listener was closed
        sock.bind(("127.0.0.1", inbound))


def test_serve_on_a_taken_http_port_announces_nothing(tmp_path: Path, taken: int) -> None:
    done = caducee(
        tmp_path, "serve", "--http", f"127.0.0.1:{taken}", "--smtp",
        f"127.0.0.1:{free_port()}", "--submission", f"127.0.0.1:{free_port()}",
    )  # fmt: skip
    assert done.returncode == 1
    assert f"L'adresse 127.0.0.1:{taken} est déjà utilisée" in done.stderr
    assert "--http / CADUCEE_HTTP" in done.stderr
    assert "écoute sur" not in done.stdout and "installation" not in done.stdout
