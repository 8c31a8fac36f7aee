"""A database of its own for a test that runs `caducee` subprocesses."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def fresh_database_url(home: Path, name: str) -> str:
    """SQLite in `home`; on the PostgreSQL pass, database `name` dropped and created anew."""
    url = os.environ.get("CADUCEE_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{home / 'caducee.sqlite3'}"
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return urlunsplit(parts._replace(path=f"/{name}"))
