"""What the benchmarks share: the machine's description and a fresh, migrated database."""

from __future__ import annotations

import os
import platform
import tempfile
from pathlib import Path


def machine() -> str:
    """nproc, CPU model, RAM and Python version, to print beside every figure."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        ram = f"{mem_kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        ram = "?"
    return f"nproc={os.cpu_count()} cpu={cpu} ram={ram} python={platform.python_version()}"


def fresh_database(kind: str, pg_url: str, prefix: str, reuse: bool = False) -> None:
    """A temporary CADUCEE_HOME and a migrated database: SQLite in it, or PostgreSQL at
    `pg_url`, dropped and recreated unless `reuse`; then Django is set up."""
    os.environ["CADUCEE_HOME"] = tempfile.mkdtemp(prefix=f"caducee-bench-{prefix}-")
    if kind == "postgresql":
        if not reuse:
            import psycopg

            base, _, name = pg_url.rpartition("/")
            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["CADUCEE_DATABASE_URL"] = pg_url
    else:
        os.environ.pop("CADUCEE_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caducee.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
