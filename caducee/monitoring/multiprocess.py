"""Where the processes of one host keep their counters (prometheus-client multiprocess
mode). Imports nothing from prometheus_client: the settings call `use_directory` before
any module imports it, since the library picks its storage at import time."""

from __future__ import annotations

import os
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def use_directory(path: Path) -> Path:
    """Create the metrics directory and point prometheus-client at it."""
    path.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = str(path)
    return path
