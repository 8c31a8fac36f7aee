"""deploy/multinode.py, reduced: every role in processes of its own on PostgreSQL and Redis
(two web behind nginx, two smtp, two workers, one scheduler), kill -9 of one of each under
load; the script checks that nothing is lost, duplicated or run twice. It runs with its
modules deploy/multinode_processes.py, multinode_clients.py and multinode_checks.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.nginx_site import NGINX, ROOT

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379"
SCRIPT = ROOT / "deploy" / "multinode.py"
TIMEOUT = 300


def _postgres_pass() -> bool:
    return os.environ.get("CADUCEE_DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def _require(service: str, variable: str, check: str) -> None:
    """Skip when the service is absent, unless CI requires it (then fail)."""
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=30, check=False
    )
    if done.returncode == 0:
        return
    reason = f"{service} ne répond pas ({done.stderr.strip().splitlines()[-1:]})"
    if os.environ.get(variable):
        pytest.fail(f"{reason} alors que {variable} est défini.")
    pytest.skip(f"{reason} : scénario multi-nœuds sauté (CI l'exige).")


def test_the_reduced_multinode_scenario_passes(tmp_path: Path) -> None:
    assert Path(NGINX).exists(), "nginx manque : lancez « make nginx » (root)"
    _require(
        "PostgreSQL",
        "CADUCEE_REQUIRE_POSTGRES",
        f"import psycopg; psycopg.connect('{POSTGRES}/postgres', connect_timeout=3).close()",
    )
    _require(
        "Redis",
        "CADUCEE_REQUIRE_REDIS",
        f"import redis; redis.Redis.from_url('{REDIS}/0', socket_connect_timeout=3).ping()",
    )
    # Both passes of `make test` run it, each on a database and a Redis db of its own.
    name, redis_db = ("pg", 13) if _postgres_pass() else ("sqlite", 12)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADUCEE_")}
    process = subprocess.Popen(
        [
            sys.executable,
            str(SCRIPT),
            "--reduced",
            *["--database-url", f"{POSTGRES}/caducee_multinode_{name}"],
            *["--redis-url", f"{REDIS}/{redis_db}"],
        ],
        cwd=ROOT,
        env={**env, "TMPDIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGTERM)  # the script stops its processes, then exits
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate(timeout=30)
        pytest.fail(f"scénario pas fini en {TIMEOUT} s :\n{output}")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    print(output)
    assert process.returncode == 0, output
    assert "Scénario multi-nœuds : réussi" in output
    for check in ("kill -9 web1", "kill -9 smtp1", "kill -9 worker1", "kill -9 scheduler"):
        assert check in output
