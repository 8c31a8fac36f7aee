"""Process-local counters: requests, failed logins, SMTP sessions and refusals; several
processes of one host add up (prometheus-client's multiprocess directory)."""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from caducee.mail import smtp_server
from caducee.people.models import User
from tests.mail.conftest import free_port
from tests.monitoring.scraping import scrape, value


def test_requests_are_counted_by_method_route_and_status(
    client: Client, db: None, metrics_token: str
) -> None:
    before = scrape(client)
    client.get("/connexion/")
    client.get("/connexion/")
    client.get("/page-qui-n-existe-pas/")
    text = scrape(client)
    labels = {"method": "GET", "route": "identity:login", "status": "200"}
    assert value(text, "caducee_http_requests_total", **labels) == (
        value(before, "caducee_http_requests_total", **labels) + 2
    )
    missing = {"method": "GET", "route": "unmatched", "status": "404"}
    assert value(text, "caducee_http_requests_total", **missing) == (
        value(before, "caducee_http_requests_total", **missing) + 1
    )
    count = "caducee_http_request_duration_seconds_count"
    route = {"method": "GET", "route": "identity:login"}
    assert value(text, count, **route) == value(before, count, **route) + 2


def test_unknown_methods_share_one_label(client: Client, db: None, metrics_token: str) -> None:
    before = scrape(client)
    client.generic("BREW", "/connexion/")
    text = scrape(client)
    name = "caducee_http_requests_total"
    matching = [
        (labels, v)
        for labels, v in _samples(text, name)
        if labels["method"] == "OTHER" and labels["route"] == "identity:login"
    ]
    assert matching and sum(v for _, v in matching) == 1 + sum(
        v
        for labels, v in _samples(before, name)
        if labels["method"] == "OTHER" and labels["route"] == "identity:login"
    )
    assert "BREW" not in text


def _samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    from prometheus_client.parser import text_string_to_metric_families

    return [
        (dict(s.labels), float(s.value))
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    ]


def test_failed_logins_are_counted(client: Client, alice: User, metrics_token: str) -> None:
    before = value(scrape(client), "caducee_login_failures_total", stage="password")
    response = client.post("/connexion/", {"email": alice.email, "password": "pas le bon"})
    assert response.status_code == 200
    after = value(scrape(client), "caducee_login_failures_total", stage="password")
    assert after == before + 1


@pytest.fixture
def submission(settings: Any) -> Iterator[int]:
    port = free_port()
    controller = smtp_server.submission_controller("127.0.0.1", port)
    controller.start()
    yield port
    controller.stop()


@pytest.mark.django_db(transaction=True)
def test_smtp_sessions_and_refusals_by_code(
    client: Client, submission: int, metrics_token: str
) -> None:
    before = scrape(client)
    with smtplib.SMTP("127.0.0.1", submission, timeout=10) as smtp:
        smtp.ehlo()
        code, _ = smtp.mail("dr@ch-a.mssante.fr")  # no AUTH first
    assert code == 530
    text = scrape(client)
    sessions = {"listener": "submission", "outcome": "accepted"}
    assert value(text, "caducee_smtp_sessions_total", **sessions) == (
        value(before, "caducee_smtp_sessions_total", **sessions) + 1
    )
    refused = {"listener": "submission", "code": "530"}
    assert value(text, "caducee_smtp_refusals_total", **refused) == (
        value(before, "caducee_smtp_refusals_total", **refused) + 1
    )
    assert value(text, "caducee_smtp_refusals_total", listener="submission", code="250") == 0


def test_counters_of_every_process_of_the_host_add_up(
    client: Client, db: None, metrics_token: str
) -> None:
    """Another process (as a second gunicorn worker would) counts into the same folder."""
    before = value(scrape(client), "caducee_login_failures_total", stage="code_totp")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(settings.METRICS_DIR)}
    code = (
        "from caducee.monitoring import metrics\n"
        "for _ in range(3):\n"
        "    metrics.login_failed('code_totp')\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    after = value(scrape(client), "caducee_login_failures_total", stage="code_totp")
    assert after == before + 3


@pytest.mark.django_db(transaction=True)
def test_smtp_sessions_turned_away_by_the_limits(
    client: Client, settings: Any, metrics_token: str
) -> None:
    settings.SMTP_MAX_SESSIONS_PER_IP = 1
    port = free_port()
    controller = smtp_server.submission_controller("127.0.0.1", port)
    controller.start()
    try:
        before = scrape(client)
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as first:
            first.ehlo()
            with pytest.raises(smtplib.SMTPConnectError) as refused:
                smtplib.SMTP("127.0.0.1", port, timeout=10)
            assert refused.value.smtp_code == 421
        text = scrape(client)
    finally:
        controller.stop()
    away = {"listener": "submission", "outcome": "turned_away"}
    assert value(text, "caducee_smtp_sessions_total", **away) == (
        value(before, "caducee_smtp_sessions_total", **away) + 1
    )
