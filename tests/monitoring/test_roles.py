"""The serving roles start the /metrics listener of CADUCEE_METRICS_HTTP."""

from __future__ import annotations

import socket
import time
import urllib.request
from pathlib import Path

from tests.tasks import processes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_worker_serves_metrics_on_its_own_address(tmp_path: Path) -> None:
    home = processes.migrated_home(tmp_path, "caducee_health_roles")
    port = _free_port()
    worker = processes.start(
        home, "worker", "--no-delivery", CADUCEE_METRICS_HTTP=f"127.0.0.1:{port}"
    )
    try:
        body = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not body:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/metrics", timeout=5
                ) as answer:
                    body = answer.read().decode()
            except OSError:
                time.sleep(0.3)
        assert "caducee_task_queue_ready" in body, body[:500]
    finally:
        worker.terminate()
        worker.wait(timeout=60)
