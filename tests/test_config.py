"""caducee/config.py: the database URL's options and the connection pool."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler

from caducee.config import ConfigError, database_from_url

PG = "postgresql://caducee:s%40cret@db.example:5433/caducee"


def test_postgresql_url_options_reach_the_connection_options(tmp_path: Path) -> None:
    url = f"{PG}?sslmode=verify-full&connect_timeout=5&target_session_attrs=read-write"
    db = database_from_url(url, tmp_path)
    assert db["OPTIONS"] == {
        "sslmode": "verify-full",
        "connect_timeout": "5",
        "target_session_attrs": "read-write",
    }
    assert (db["HOST"], db["PORT"], db["NAME"], db["PASSWORD"]) == (
        "db.example",
        "5433",
        "caducee",
        "s@cret",
    )
    assert db["CONN_MAX_AGE"] == 60 and "pool" not in db["OPTIONS"]


def test_an_options_parameter_with_spaces_is_kept(tmp_path: Path) -> None:
    db = database_from_url(f"{PG}?options=-c%20statement_timeout%3D5000", tmp_path)
    assert db["OPTIONS"] == {"options": "-c statement_timeout=5000"}


def test_an_unknown_parameter_is_refused_in_french(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="paramètre de connexion PostgreSQL inconnu 'sslmod'"):
        database_from_url(f"{PG}?sslmod=require", tmp_path)


def test_sqlite_refuses_options_rather_than_dropping_them(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SQLite ne prend pas d'options"):
        database_from_url(f"sqlite:///{tmp_path}/x.sqlite3?mode=ro", tmp_path)


@pytest.mark.parametrize(
    ("value", "sizes"),
    [("10", {"min_size": 10, "max_size": 10}), ("2:20", {"min_size": 2, "max_size": 20})],
)
def test_the_pool_setting(tmp_path: Path, value: str, sizes: dict[str, int]) -> None:
    db = database_from_url(PG, tmp_path, value)
    assert db["OPTIONS"]["pool"] == sizes
    assert db["CONN_MAX_AGE"] == 0  # Django refuses persistent connections with a pool


@pytest.mark.parametrize("value", ["dix", "0", "5:2", "-1:3", "1:2:3"])
def test_a_bad_pool_setting_is_refused_in_french(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="CADUCEE_DATABASE_POOL doit être"):
        database_from_url(PG, tmp_path, value)


@pytest.mark.parametrize("url", ["", "sqlite:///x.sqlite3"])
def test_the_pool_is_for_postgresql_only(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="ne s'applique qu'à PostgreSQL"):
        database_from_url(url, tmp_path, "5")


@pytest.mark.django_db
def test_options_and_pool_on_a_real_postgresql(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: run with CADUCEE_DATABASE_URL=postgresql://…")
    from django.db.backends.postgresql.base import DatabaseWrapper as PostgresWrapper

    current = connection.settings_dict
    url = (
        f"postgresql://{current['USER']}@{current['HOST']}:{current['PORT']}/{current['NAME']}"
        "?application_name=caducee-health-probe&connect_timeout=5"
    )
    handler = ConnectionHandler({"default": database_from_url(url, tmp_path, "1:2")})
    probe = handler["default"]
    assert isinstance(probe, PostgresWrapper)
    try:
        with probe.cursor() as cursor:
            cursor.execute("SHOW application_name")
            assert cursor.fetchone() == ("caducee-health-probe",)
        assert probe.pool is not None and probe.pool.max_size == 2
    finally:
        probe.close()
        probe.close_pool()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a SQLite connection's settings")
@pytest.mark.django_db
def test_sqlite_connections_keep_their_statement_journals_in_memory() -> None:
    """temp_store=MEMORY (2): each INSERT into a table with triggers keeps a statement
    journal, which otherwise spills to a temporary file (docs/PERFORMANCE.md)."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA temp_store")
        assert cursor.fetchone()[0] == 2
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
