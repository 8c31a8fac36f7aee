"""CADUCEE_LOG_FORMAT: text or JSON lines, for every logger; bad values refused in French."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator

import pytest

from caducee.config import ConfigError
from caducee.monitoring.logs import ACCESS_LOGGER, JsonFormatter, logging_config


def _configured(log_format: str, level: str = "") -> io.StringIO:
    config = logging_config(log_format, level)
    stream = io.StringIO()
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    return stream


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    from django.conf import settings

    yield
    logging.config.dictConfig(settings.LOGGING)


def test_json_lines_for_every_logger() -> None:
    stream = _configured("json")
    logging.getLogger("caducee.mail.smtp").warning("refus de %s", "x@y.fr")
    logging.getLogger("django.request").error("Internal Server Error: /console/")
    logging.getLogger(ACCESS_LOGGER).info("GET /", extra={"status": 200, "path": "/"})
    logging.getLogger("caducee.anything").info("not shown at the default level")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["logger"], e["level"]) for e in lines] == [
        ("caducee.mail.smtp", "WARNING"),
        ("django.request", "ERROR"),
        (ACCESS_LOGGER, "INFO"),
    ]
    assert lines[0]["message"] == "refus de x@y.fr"
    assert lines[0]["time"].endswith("+00:00")
    assert lines[2]["status"] == 200 and lines[2]["path"] == "/"


def test_an_exception_stays_inside_its_json_line() -> None:
    stream = _configured("json")
    try:
        raise ValueError("é")
    except ValueError:
        logging.getLogger("caducee.x").exception("échec")
    [line] = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["message"] == "échec" and "ValueError: é" in entry["exception"]


def test_text_lines_have_a_time_level_and_logger() -> None:
    stream = _configured("text", "info")
    logging.getLogger("caducee.x").info("bonjour")
    [line] = stream.getvalue().splitlines()
    assert line.endswith(" INFO caducee.x bonjour") and line[:4].isdigit()


def test_the_formatter_keeps_extra_fields_only() -> None:
    record = logging.makeLogRecord({"msg": "m", "name": "n", "levelname": "INFO", "user": 3})
    entry = json.loads(JsonFormatter().format(record))
    assert set(entry) == {"time", "level", "logger", "message", "user"}


@pytest.mark.parametrize(("log_format", "level"), [("xml", ""), ("json", "bavard")])
def test_bad_values_are_refused_in_french(log_format: str, level: str) -> None:
    with pytest.raises(ConfigError, match="doit valoir"):
        logging_config(log_format, level)
