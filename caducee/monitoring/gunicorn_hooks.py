"""gunicorn hooks for `caducee web`: `gunicorn --config python:caducee.monitoring.gunicorn_hooks`.

With CADUCEE_METRICS_HTTP set, each worker tries to serve /metrics there once the
application is loaded; the first one binds it and serves the counters of every worker
(caducee/monitoring/exporter.py). The arbiter itself never touches the database: a
connection pool created before a fork would be shared by the children.
"""

from __future__ import annotations

from typing import Any


def post_worker_init(worker: Any) -> None:
    from caducee.monitoring.exporter import start

    worker.caducee_metrics = start()
