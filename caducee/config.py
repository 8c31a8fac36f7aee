"""Typed readers for settings taken from the environment.

Each reader fails loudly on a malformed value instead of guessing.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit


class ConfigError(Exception):
    """A setting in the environment is malformed."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} doit valoir true ou false (valeur lue : {raw!r}).")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} doit être un nombre entier (valeur lue : {raw!r}).") from None


def env_secret(name: str) -> str:
    """Read a secret from NAME, or from the file named by NAME_FILE."""
    value = os.environ.get(name, "")
    if value:
        return value
    file_name = os.environ.get(f"{name}_FILE", "")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return ""


def home_dir() -> Path:
    return Path(env_str("CADUCEE_HOME", "var")).resolve()


def local_secret_key(home: Path) -> str:
    """Secret key of an embedded install: generated once, kept under CADUCEE_HOME.

    Never part of the repository; production sets CADUCEE_SECRET_KEY instead.
    """
    path = home / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def parse_host_port(value: str, default_port: int) -> tuple[str, int]:
    """Split 'host:port' (IPv6 in brackets) into its parts."""
    value = value.strip()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest.lstrip(":")
    elif value.count(":") == 1:
        host, port = value.split(":")
    else:
        host, port = value, ""
    try:
        return host or "127.0.0.1", int(port) if port else default_port
    except ValueError:
        raise ConfigError(f"Adresse invalide {value!r} : attendu hôte:port.") from None


def database_from_url(url: str, home: Path, pool: str = "") -> dict[str, Any]:
    """Django DATABASES entry from a URL; SQLite under the home folder by default.

    A PostgreSQL URL's query string gives libpq connection parameters (`sslmode`,
    `connect_timeout`, `target_session_attrs`, `options`, …), passed on as OPTIONS;
    `pool` (CADUCEE_DATABASE_POOL) turns on psycopg's connection pool."""
    if not url:
        if pool.strip():
            raise ConfigError(_POOL_NEEDS_POSTGRESQL)
        home.mkdir(parents=True, exist_ok=True)
        return sqlite_database(home / "caducee.sqlite3")
    parts = urlsplit(url)
    if parts.scheme in {"sqlite", "sqlite3"}:
        if parts.query:
            raise ConfigError(
                f"CADUCEE_DATABASE_URL : une base SQLite ne prend pas d'options (?{parts.query})."
            )
        if pool.strip():
            raise ConfigError(_POOL_NEEDS_POSTGRESQL)
        path = unquote(parts.path)
        if path.startswith("/"):
            path = path[1:]
        return sqlite_database(Path(path or str(home / "caducee.sqlite3")))
    if parts.scheme in {"postgres", "postgresql"}:
        options: dict[str, Any] = postgresql_options(parts.query)
        pool_options = database_pool(pool)
        if pool_options is not None:
            options["pool"] = pool_options
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "caducee",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            # With a pool, connections go back to it after each request (Django refuses
            # persistent connections there); without one, each thread keeps its own.
            "CONN_MAX_AGE": 0 if pool_options is not None else 60,
            "CONN_HEALTH_CHECKS": pool_options is None,
            "OPTIONS": options,
        }
    raise ConfigError(
        f"CADUCEE_DATABASE_URL : schéma {parts.scheme!r} non pris en charge "
        "(utilisez sqlite:///chemin ou postgresql://utilisateur@hôte:port/base)."
    )


_POOL_NEEDS_POSTGRESQL = (
    "CADUCEE_DATABASE_POOL ne s'applique qu'à PostgreSQL (CADUCEE_DATABASE_URL=postgresql://…)."
)


def postgresql_options(query: str) -> dict[str, str]:
    """libpq connection parameters from a URL's query string, each name checked."""
    if not query:
        return {}
    from psycopg import pq

    known = {d.keyword.decode() for d in pq.Conninfo.get_defaults()}
    options: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True, strict_parsing=False):
        if name not in known:
            raise ConfigError(
                f"CADUCEE_DATABASE_URL : paramètre de connexion PostgreSQL inconnu {name!r} "
                "(par exemple sslmode, connect_timeout, target_session_attrs)."
            )
        options[name] = value
    return options


def database_pool(value: str) -> dict[str, int] | None:
    """psycopg pool sizes from CADUCEE_DATABASE_POOL: empty (no pool), `max` or `min:max`."""
    value = value.strip()
    if not value:
        return None
    low, sep, high = value.partition(":")
    try:
        min_size, max_size = (int(low), int(high)) if sep else (int(low), int(low))
    except ValueError:
        raise ConfigError(_pool_error(value)) from None
    if not 0 <= min_size <= max_size or max_size < 1:
        raise ConfigError(_pool_error(value))
    return {"min_size": min_size, "max_size": max_size}


def _pool_error(value: str) -> str:
    return (
        "CADUCEE_DATABASE_POOL doit être une taille (par exemple 10) ou min:max "
        f"(par exemple 2:10), avec 1 ≤ max et min ≤ max (valeur lue : {value!r})."
    )


def sqlite_database(path: Path) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # Tests use a file too, not Django's shared-cache in-memory database: there a
        # second writer fails at once ("table is locked") where a file waits its turn, as
        # in production (the browser tests run the web server and background jobs in
        # threads with their own connections).
        "TEST": {"NAME": str(path.with_name(f"test_{path.name}"))},
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            # temp_store=MEMORY: an INSERT into a table with triggers (the accounts' and the
            # messages' search indexes, the state counters) keeps a statement journal of
            # the pages it changes; past 64 KiB SQLite spills it to a temporary file: about
            # 36 writes to that file for every account inserted, a third of the import's
            # account writes (docs/PERFORMANCE.md). Nothing here sorts or builds temporary
            # tables large enough for memory to matter (no VACUUM; the pages read indexes).
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                "PRAGMA temp_store=MEMORY;"
            ),
        },
    }
