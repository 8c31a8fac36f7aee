"""The submission server shown to users: from the platform's configuration."""

from __future__ import annotations

from typing import Any

import pytest

from caducee.mail.client_settings import SubmissionServer, submission_server


@pytest.fixture
def config(settings: Any, monkeypatch: Any) -> Any:
    settings.SMTP_HOSTNAME = "localhost"
    settings.BASE_URL = ""
    settings.SUBMISSION_PUBLIC = ""
    for name in ("CADUCEE_SUBMISSION", "CADUCEE_HTTP"):
        monkeypatch.delenv(name, raising=False)
    return settings


def test_the_listening_address_by_default(config: Any, monkeypatch: Any) -> None:
    assert submission_server() == SubmissionServer("127.0.0.1", 5870)
    monkeypatch.setenv("CADUCEE_SUBMISSION", "192.0.2.7:2587")
    assert submission_server() == SubmissionServer("192.0.2.7", 2587)


def test_the_mail_host_name_rather_than_localhost(config: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("CADUCEE_SUBMISSION", "0.0.0.0:587")
    config.BASE_URL = "https://caducee.ch-a.fr"
    assert submission_server() == SubmissionServer("caducee.ch-a.fr", 587)
    config.SMTP_HOSTNAME = "smtp.ch-a.fr"
    assert submission_server() == SubmissionServer("smtp.ch-a.fr", 587)


def test_a_wildcard_listener_without_names_shows_the_web_host(
    config: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("CADUCEE_SUBMISSION", "0.0.0.0:587")
    monkeypatch.setenv("CADUCEE_HTTP", "192.0.2.8:8000")
    assert submission_server() == SubmissionServer("192.0.2.8", 587)


def test_the_public_address_wins(config: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("CADUCEE_SUBMISSION", "127.0.0.1:5870")  # behind a port forward
    config.SMTP_HOSTNAME = "smtp.ch-a.fr"
    config.SUBMISSION_PUBLIC = "mail.ch-a.fr:587"
    assert submission_server() == SubmissionServer("mail.ch-a.fr", 587)
    config.SUBMISSION_PUBLIC = "mail.ch-a.fr"
    assert submission_server() == SubmissionServer("mail.ch-a.fr", 5870)
