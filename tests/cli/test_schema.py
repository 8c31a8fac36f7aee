"""Only `caducee migrate` migrates: every other command refuses an outdated schema.

Real processes on a fresh CADUCEE_HOME (SQLite), as an operator would start them.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mail.conftest import free_port
from tests.mail.instances import ROOT, migrate, peer_env


def caducee(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "caducee.cli.main", *args],
        cwd=ROOT,
        env=peer_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def tables(home: Path) -> list[str]:
    with sqlite3.connect(home / "caducee.sqlite3") as db:
        return [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]


def addresses() -> list[str]:
    return [
        "--smtp", f"127.0.0.1:{free_port()}", "--submission", f"127.0.0.1:{free_port()}",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "command",
    [
        ["serve", "--http", "127.0.0.1:{http}", *addresses()],
        ["smtp", *addresses()],
        ["web", "--http", "127.0.0.1:{http}"],
        ["web", "--embedded", "--http", "127.0.0.1:{http}"],
        ["structure", "list"],
    ],
    ids=["serve", "smtp", "web", "web-embedded", "structure-list"],
)
def test_a_fresh_database_is_refused_and_left_alone(tmp_path: Path, command: list[str]) -> None:
    http = free_port()
    done = caducee(tmp_path, *(part.format(http=http) for part in command))
    assert done.returncode == 1
    assert "La base de données n'est pas à jour" in done.stderr
    assert "Lancez d'abord « caducee migrate »" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "écoute sur" not in done.stdout and "SMTP" not in done.stdout
    assert "django_migrations" not in tables(tmp_path)  # nothing was migrated


def test_a_database_one_migration_behind_is_refused(tmp_path: Path) -> None:
    migrate(tmp_path)
    with sqlite3.connect(tmp_path / "caducee.sqlite3") as db:  # as after an upgrade
        db.execute(
            "DELETE FROM django_migrations WHERE app='mail' AND name='0003_sec_operator_dns'"
        )
    done = caducee(tmp_path, "smtp", *addresses())
    assert done.returncode == 1
    assert "(1 migration à appliquer)" in done.stderr and "caducee migrate" in done.stderr
    check = caducee(tmp_path, "migrate", "--check")
    assert check.returncode == 1 and "mail.0003_sec_operator_dns" in check.stderr
