"""gunicorn settings for `caducee web`: `--config python:caducee.monitoring.gunicorn_hooks`.

- Logs: gunicorn's own lines in the platform's format (CADUCEE_LOG_FORMAT, text or JSON),
  and no second access log (the platform writes one, caducee/monitoring/access.py).
- Metrics: with CADUCEE_METRICS_HTTP set, each worker tries to serve /metrics there once
  the application is loaded; the first one binds it and serves the counters of every
  worker (caducee/monitoring/exporter.py). The arbiter itself never touches the database:
  a connection pool created before a fork would be shared by the children.
"""

from __future__ import annotations

import os
from typing import Any

from caducee.monitoring.logs import gunicorn_logging

logconfig_dict = gunicorn_logging(
    os.environ.get("CADUCEE_LOG_FORMAT", ""), os.environ.get("CADUCEE_LOG_LEVEL", "")
)


def post_worker_init(worker: Any) -> None:
    from caducee.monitoring.exporter import start

    worker.caducee_metrics = start()
