"""The task queue's state with the Redis backend (the Redis at 127.0.0.1:6379)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from redis import Redis
from rq import Queue

from caducee.monitoring import queues
from tests.monitoring.scraping import scrape, value

URL = "redis://127.0.0.1:6379/11"


@pytest.fixture
def redis_backend(settings: Any) -> Iterator[Redis]:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": []}}
    settings.RQ_QUEUES = {q: {"URL": URL} for q in ("urgent", "default", "imports")}
    connection = Redis.from_url(URL)
    for name in ("urgent", "default", "imports"):
        Queue(name, connection=connection).empty()  # type: ignore[no-untyped-call]  # rq: untyped
    yield connection
    for name in ("urgent", "default", "imports"):
        Queue(name, connection=connection).empty()  # type: ignore[no-untyped-call]  # rq: untyped


def test_redis_queue_depth_and_oldest_age(
    client: Client, db: None, redis_backend: Redis, metrics_token: str
) -> None:
    queues.check()
    default = Queue("default", connection=redis_backend)
    job = default.enqueue("tests.tasks.probe.record", "/nonexistent", "x")
    default.enqueue("tests.tasks.probe.record", "/nonexistent", "y")
    job.enqueued_at = timezone.now() - timedelta(minutes=5)
    job.save()
    text = scrape(client)
    assert value(text, "caducee_task_queue_ready", queue="default") == 2
    assert value(text, "caducee_task_queue_ready", queue="urgent") == 0
    assert 300 <= value(text, "caducee_task_queue_oldest_ready_seconds", queue="default") < 400
    assert value(text, "caducee_task_queue_oldest_ready_seconds", queue="urgent") == 0
    assert client.get("/readyz").status_code == 200
