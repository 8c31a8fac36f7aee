"""Django's LOGGING for the platform: text lines or JSON lines (CADUCEE_LOG_FORMAT).

One line per record either way, Django's own loggers included. The access log is the
`caducee.access` logger, always at INFO whatever level the others use (CADUCEE_LOG_LEVEL);
CADUCEE_ACCESS_LOG turns it off (caducee/monitoring/access.py).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from caducee.config import ConfigError

ACCESS_LOGGER = "caducee.access"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# Attributes every LogRecord has: what is left in __dict__ came from `extra=`.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, the record's
    `extra` fields, and the formatted exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """The LOGGING dict for CADUCEE_LOG_FORMAT and CADUCEE_LOG_LEVEL."""
    log_format = log_format.strip().lower() or "text"
    if log_format not in {"text", "json"}:
        raise ConfigError(
            f"CADUCEE_LOG_FORMAT doit valoir text ou json (valeur lue : {log_format!r})."
        )
    level = level.strip().upper() or "WARNING"
    if level not in LEVELS:
        raise ConfigError(
            f"CADUCEE_LOG_LEVEL doit valoir l'un de {', '.join(LEVELS)} (valeur lue : {level!r})."
        )
    formatter: dict[str, Any] = (
        {"()": "caducee.monitoring.logs.JsonFormatter"}
        if log_format == "json"
        else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"platform": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "platform"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's default handlers (console when DEBUG, mail_admins) are dropped:
            # its records reach the root handler, in the same format as every other line.
            "django": {"handlers": [], "level": level, "propagate": True},
            ACCESS_LOGGER: {"level": "INFO", "propagate": True},
        },
    }


def gunicorn_logging(log_format: str, level: str) -> dict[str, Any]:
    """gunicorn's `logconfig_dict`: its own lines (workers booting, timeouts) in the same
    format as the platform's; its access log off (the platform writes its own)."""
    config = logging_config(log_format, level)
    config["loggers"] |= {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
    }
    return config
