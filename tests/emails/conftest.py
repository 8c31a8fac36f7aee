"""Outbox fixtures: emails queued and committed, the relay down (a closed loopback port)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from caducee.emails.models import OutgoingEmail
from caducee.emails.outbox import queue_email
from tests.mail.conftest import free_port

Capture = Callable[..., Any]


@pytest.fixture
def relay_down(settings: Any) -> int:
    """Nothing listens on the relay's port any more: connection refused."""
    port = free_port()
    settings.EMAIL_PORT = port
    return port


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Capture) -> Callable[..., list[OutgoingEmail]]:
    """queue n emails to `prefix-i@example.org` in one committed transaction."""

    def make(n: int, prefix: str = "dest", template: str = "lockout") -> list[OutgoingEmail]:
        with django_capture_on_commit_callbacks(execute=True):
            return [
                queue_email(
                    f"{prefix}-{i}@example.org",
                    template,
                    {"user": None, "minutes": 15, "ip": "127.0.0.1"},
                )
                for i in range(n)
            ]

    return make
