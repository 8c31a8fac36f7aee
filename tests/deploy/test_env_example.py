"""deploy/caducee.env.example: the settings load with it, and it holds no secret."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.mail.instances import ROOT, peer_env

EXAMPLE = ROOT / "deploy" / "caducee.env.example"


def read_env_file(path: Path) -> dict[str, str]:
    """NAME=value lines as systemd's EnvironmentFile reads them (comments skipped)."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        values[name.strip()] = value
    return values


def test_it_names_secret_files_never_secrets() -> None:
    values = read_env_file(EXAMPLE)
    assert "CADUCEE_SECRET_KEY" not in values and "CADUCEE_AUDIT_KEY" not in values
    assert "CADUCEE_EMAIL_PASSWORD" not in values
    assert ":" not in values["CADUCEE_DATABASE_URL"].split("@")[0].removeprefix("postgresql://")


def test_the_settings_load_with_it(tmp_path: Path) -> None:
    values = read_env_file(EXAMPLE)
    # Only the machine's paths are moved into this test's folder; the files they name
    # stand in for the operator's.
    for name in ("CADUCEE_SECRET_KEY_FILE", "CADUCEE_AUDIT_KEY_FILE"):
        secret = tmp_path / Path(values[name]).name
        secret.write_text("s" * 50, encoding="utf-8")
        values[name] = str(secret)
    assert values.pop("CADUCEE_HOME") == "/var/lib/caducee"  # the units' StateDirectory
    assert values.pop("CADUCEE_STATIC_ROOT") == "/var/cache/caducee/static"  # CacheDirectory
    code = (
        "import json, django; django.setup(); from django.conf import settings as s\n"
        "print(json.dumps([s.CSRF_TRUSTED_ORIGINS, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS,"
        " s.SESSION_COOKIE_SECURE, [str(n) for n in s.TRUSTED_PROXIES],"
        " s.DATABASES['default']['ENGINE'], s.TASKS['default']['BACKEND']]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=peer_env(tmp_path / "home", **values),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    origins, redirect, hsts, secure, proxies, engine, tasks = json.loads(done.stdout)
    assert origins == ["https://caducee.example.fr"] and redirect and secure
    assert hsts == 31536000 and proxies == ["127.0.0.1/32", "::1/128"]
    assert engine == "django.db.backends.postgresql"
    assert tasks.startswith("django_tasks_db")


def test_sh_reads_it_as_systemd_does(tmp_path: Path) -> None:
    """docs/DEPLOY.md sources it from a shell for commands run by hand (`set -a; . …`)."""
    done = subprocess.run(
        ["/bin/sh", "-c", f"set -a; . {EXAMPLE}; env -0"],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    seen = dict(item.split("=", 1) for item in done.stdout.split("\0") if "=" in item)
    assert {k: v for k, v in seen.items() if k.startswith("CADUCEE_")} == read_env_file(EXAMPLE)
