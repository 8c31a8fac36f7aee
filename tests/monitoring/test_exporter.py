"""/metrics on a separate address (CADUCEE_METRICS_HTTP): in a process, and under gunicorn
where one worker serves the counters of all."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from caducee.monitoring import exporter
from tests.mail.conftest import free_port
from tests.mail.instances import ROOT
from tests.monitoring.scraping import value
from tests.tasks.processes import env, migrated_home


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.django_db(transaction=True)
def test_the_exporter_serves_metrics_without_a_token() -> None:
    port = free_port()
    served = exporter.start(f"127.0.0.1:{port}")
    assert served is not None
    try:
        status, text = _get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200
        assert value(text, "caducee_task_queue_ready", queue="urgent") == 0
        assert "caducee_mail_outbound" in text
        assert _get(f"http://127.0.0.1:{port}/")[0] == 404
        # A second process of the host finds the address taken, and goes on without it.
        assert exporter.start(f"127.0.0.1:{port}") is None
    finally:
        served.stop()


def test_no_address_no_exporter() -> None:
    assert exporter.start("") is None


def _wait_for(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()  # noqa: S310 - loopback
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


def test_under_gunicorn_one_worker_serves_the_counters_of_all(tmp_path: Path) -> None:
    """…and every log line, gunicorn's included, is JSON with CADUCEE_LOG_FORMAT=json."""
    home = migrated_home(tmp_path, "caducee_health_gunicorn")
    web, metrics = free_port(), free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "python:caducee.monitoring.gunicorn_hooks",
            "--bind",
            f"127.0.0.1:{web}",
            "--workers",
            "2",
            "--no-control-socket",
            "caducee.wsgi:application",
        ],
        cwd=ROOT,
        env=env(home, CADUCEE_METRICS_HTTP=f"127.0.0.1:{metrics}", CADUCEE_LOG_FORMAT="json"),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        _wait_for(f"http://127.0.0.1:{web}/healthz", deadline)
        _wait_for(f"http://127.0.0.1:{metrics}/metrics", deadline)
        for _ in range(20):  # new connections: both workers get some
            assert _get(f"http://127.0.0.1:{web}/connexion/")[0] == 200
        status, text = _get(f"http://127.0.0.1:{metrics}/metrics")
        assert status == 200
        labels = {"method": "GET", "route": "identity:login", "status": "200"}
        assert value(text, "caducee_http_requests_total", **labels) == 20
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    lines = [json.loads(line) for line in (tmp_path / "gunicorn.log").read_text().splitlines()]
    loggers = {entry["logger"] for entry in lines}
    assert {"gunicorn.error", "caducee.access"} <= loggers
    access = [e for e in lines if e["logger"] == "caducee.access"]
    assert len(access) == 20 and access[0]["path"] == "/connexion/"
