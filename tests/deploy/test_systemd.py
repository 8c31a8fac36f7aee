"""deploy/systemd: each unit runs a real `caducee` command line, reads the environment
file, and passes `systemd-analyze verify` where systemd is installed."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from configparser import ConfigParser
from pathlib import Path

import pytest

from tests.mail.instances import ROOT, peer_env

UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
VENV_BIN = "/opt/caducee/venv/bin"  # where docs/DEPLOY.md installs the platform
INSTALLED = f"{VENV_BIN}/caducee"
ENV_FILE = "/etc/caducee/caducee.env"
ROLES = {
    "caducee-web.service": ["web"],
    "caducee-worker.service": ["worker"],
    "caducee-smtp.service": ["smtp", "--no-delivery"],
    "caducee-imap.service": ["imap"],  # issue #18
    "caducee-scheduler.service": ["scheduler"],
    "caducee-migrate.service": ["migrate"],
}


def _service(unit: Path) -> dict[str, str]:
    parser = ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(unit, encoding="utf-8")
    return dict(parser["Service"])


def test_every_role_has_its_unit() -> None:
    assert [unit.name for unit in UNITS] == sorted(ROLES)


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_the_unit_runs_a_caducee_command_that_parses(unit: Path, tmp_path: Path) -> None:
    service = _service(unit)
    program, *arguments = shlex.split(service["ExecStart"])
    assert program == INSTALLED and arguments == ROLES[unit.name]
    assert service["EnvironmentFile"] == ENV_FILE
    assert service["User"] == "caducee" and service["StateDirectory"] == "caducee"
    done = subprocess.run(
        [sys.executable, "-m", "caducee.cli.main", *arguments, "--help"],
        cwd=ROOT,
        env=peer_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.startswith("usage: caducee"), done.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd absent")
def test_systemd_accepts_the_units() -> None:
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *map(str, UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # The only complaint allowed: the platform is not installed at its path on this machine
    # (the command lines themselves are checked above).
    missing = re.compile(
        rf"Command {VENV_BIN}/(caducee|django-admin) is not executable: No such file or directory$"
    )
    complaints = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if line.strip() and not missing.search(line)
    ]
    assert complaints == []


def test_the_web_unit_collects_the_static_files_for_nginx(tmp_path: Path) -> None:
    service = _service(ROOT / "deploy" / "systemd" / "caducee-web.service")
    program, *arguments = shlex.split(service["ExecStartPre"])
    assert program == f"{VENV_BIN}/django-admin" and arguments[0] == "collectstatic"
    assert service["Environment"] == "DJANGO_SETTINGS_MODULE=caducee.settings"  # as peer_env
    static = tmp_path / "cache" / "static"
    done = subprocess.run(
        [sys.executable, "-m", "django", *arguments],
        cwd=ROOT,
        env=peer_env(tmp_path / "home", CADUCEE_STATIC_ROOT=str(static)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (static / "caducee" / "console.css").stat().st_mode & 0o004  # nginx may read it
    assert service["CacheDirectory"] == "caducee" and service["UMask"] == "0022"
