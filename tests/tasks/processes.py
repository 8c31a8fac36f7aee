"""`caducee worker` processes on a database of their own (test support)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.databases import fresh_database_url
from tests.mail.instances import ROOT, migrate, peer_env


def migrated_home(tmp_path: Path, name: str, **extra: str) -> Path:
    """A CADUCEE_HOME whose database (SQLite, or PostgreSQL database `name`) is migrated,
    with the environment `extra` the services will have (say CADUCEE_TASKS_URL)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "url").write_text(fresh_database_url(home, name))
    migrate(home, CADUCEE_DATABASE_URL=(home / "url").read_text(), **extra)
    return home


def env(home: Path, **extra: str) -> dict[str, str]:
    return peer_env(home, CADUCEE_DATABASE_URL=(home / "url").read_text(), **extra)


def django_code(home: Path, code: str, **extra: str) -> str:
    """Run Python code with Django set up on that database; its standard output."""
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        cwd=ROOT,
        env=env(home, **extra),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def caducee(home: Path, *args: str, timeout: float = 180, **extra: str) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "caducee.cli.main", *args],
        cwd=ROOT,
        env=env(home, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start(home: Path, *args: str, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "caducee.cli.main", *args],
        cwd=ROOT,
        env=env(home, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
