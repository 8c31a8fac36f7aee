"""One access-log line per request, with no secret from the URL."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client

from caducee.monitoring.logs import ACCESS_LOGGER


def _lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == ACCESS_LOGGER]


def test_one_line_per_request(client: Client, db: None, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        client.get("/connexion/", REMOTE_ADDR="192.0.2.7")
    [record] = _lines(caplog)
    assert record.levelno == logging.INFO
    assert record.__dict__["client_ip"] == "192.0.2.7"
    assert record.__dict__["method"] == "GET"
    assert record.__dict__["path"] == "/connexion/"
    assert record.__dict__["status"] == 200
    assert record.__dict__["route"] == "identity:login"
    assert record.__dict__["duration_ms"] >= 0
    message = record.getMessage()
    assert message.startswith("192.0.2.7 GET /connexion/ ") and " 200 " in message


def test_tokens_in_the_path_and_query_values_are_hidden(
    client: Client, db: None, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Zr7x-secret-link-token"
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        client.get(f"/installation/{secret}/?next=/console/&code=123456")
    [record] = _lines(caplog)
    assert secret not in record.getMessage() and "123456" not in record.getMessage()
    assert record.__dict__["path"] == "/installation/…/?next=…&code=…"


def test_probes_are_logged_only_when_they_fail(
    client: Client, db: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        client.get("/healthz")
        client.get("/readyz")
        client.get("/metrics")  # no token configured: 404
    assert [r.__dict__["path"] for r in _lines(caplog)] == ["/metrics"]


def test_the_access_log_can_be_turned_off(
    client: Client, db: None, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.ACCESS_LOG = False
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        client.get("/connexion/")
    assert _lines(caplog) == []
