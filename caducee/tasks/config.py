"""The task backend, chosen by CADUCEE_TASKS_URL.

- empty (the embedded default): the database backend (`django-tasks-db`); its worker runs
  inside `caducee serve`, or as `caducee worker` processes sharing the database;
- `redis://host:port/db` (or `rediss://`): the Redis backend (`django-tasks-rq`), whose
  workers (`caducee worker`) can run on any machine that reaches Redis and the database.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from caducee.config import ConfigError
from caducee.tasks.queues import ALL

DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"
REDIS_BACKEND = "django_tasks_rq.RQBackend"


def task_settings(url: str) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(TASKS, RQ_QUEUES, extra INSTALLED_APPS) for CADUCEE_TASKS_URL."""
    url = url.strip()
    if not url:
        tasks = {"default": {"BACKEND": DATABASE_BACKEND, "QUEUES": list(ALL)}}
        return tasks, {}, []
    scheme = urlsplit(url).scheme
    if scheme not in {"redis", "rediss"}:
        raise ConfigError(
            f"CADUCEE_TASKS_URL doit commencer par redis:// ou rediss:// (valeur lue : "
            f"{scheme or url!r}). Laissez-le vide pour la file en base de données."
        )
    queues = {name: {"URL": url, "DEFAULT_TIMEOUT": 3600} for name in ALL}
    tasks = {"default": {"BACKEND": REDIS_BACKEND, "QUEUES": list(ALL)}}
    return tasks, queues, ["django_rq"]


def uses_database_backend() -> bool:
    from django.conf import settings

    return bool(settings.TASKS["default"]["BACKEND"] == DATABASE_BACKEND)
