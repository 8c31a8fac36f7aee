"""/healthz, /readyz and /metrics: no login, no cache, no stack trace, any Host header."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.monitoring.scraping import TOKEN


def test_healthz_answers_without_the_database(client: Client) -> None:
    # No `db` fixture: pytest-django fails any database access in this test.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]


def test_probes_answer_whatever_the_host_header(client: Client, db: None) -> None:
    # A load balancer probes the machine's address, which ALLOWED_HOSTS does not list.
    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/console/", HTTP_HOST="10.1.2.3:8000").status_code == 400


def test_readyz_checks_database_storage_and_task_queue(
    client: Client, db: None, settings: Any
) -> None:
    response = client.get("/readyz")
    assert (response.status_code, response.content) == (200, b"ok\n")
    assert "no-cache" in response["Cache-Control"]
    probes = Path(settings.MEDIA_ROOT) / "health"
    assert not probes.exists() or list(probes.iterdir()) == []  # the probe file is removed


def test_readyz_names_an_unreachable_storage(
    client: Client, db: None, settings: Any, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("un fichier, pas un dossier")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocked)},
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.content == b"indisponible : storage\n"


def test_readyz_names_an_unreachable_task_queue(client: Client, db: None, settings: Any) -> None:
    closed = "redis://127.0.0.1:9/0"  # discard port: nothing listens
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": []}}
    settings.RQ_QUEUES = {q: {"URL": closed} for q in ("urgent", "default", "imports")}
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.content.decode()
    assert body == "indisponible : tasks\n"
    assert "Traceback" not in body and "127.0.0.1" not in body


def test_probes_need_no_login_and_refuse_writes(client: Client, db: None) -> None:
    response = client.post("/healthz")
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"


def test_metrics_are_hidden_without_a_configured_token(client: Client, db: None) -> None:
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize(
    "header",
    ["", f"Basic {TOKEN}", "Bearer mauvais-jeton", f"Bearer {TOKEN}x", TOKEN],
)
def test_metrics_need_the_bearer_token(
    client: Client, db: None, metrics_token: str, header: str
) -> None:
    extra: dict[str, Any] = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 404
    assert b"caducee_" not in response.content


def test_metrics_with_the_token(client: Client, db: None, metrics_token: str) -> None:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {metrics_token}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "no-cache" in response["Cache-Control"]
    text = response.content.decode()
    assert "# TYPE caducee_task_queue_ready gauge" in text
    assert "# TYPE caducee_http_requests counter" in text or "caducee_http_requests" in text
