"""Abuse limits of the SMTP listeners: sessions (total and per client address), recipients
per message, commands per session and the idle timeout (docs/MESSAGING.md, "Limits").

Counts are per listener and per process: with `caducee smtp --processes N`, each process
applies them to the connections the kernel gives it.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Any

from django.conf import settings

log = logging.getLogger("caducee.mail.smtp")

TOO_MANY_SESSIONS = "421 4.7.0 Trop de connexions simultanées, réessayez plus tard"
TOO_MANY_RECIPIENTS = "452 4.5.3 Trop de destinataires pour ce message : envoyez la suite à part"


class SessionLimiter:
    """Open sessions of one listener, in total and per client IP address."""

    def __init__(self, total: int, per_ip: int) -> None:
        self.total, self.per_ip = total, per_ip
        self.open: Counter[str] = Counter()
        self.count = 0
        self.lock = threading.Lock()

    def acquire(self, ip: str) -> bool:
        with self.lock:
            if self.count >= self.total or self.open[ip] >= self.per_ip:
                return False
            self.open[ip] += 1
            self.count += 1
            return True

    def release(self, ip: str) -> None:
        with self.lock:
            self.open[ip] -= 1
            self.count -= 1
            if self.open[ip] <= 0:
                del self.open[ip]


def limiter() -> SessionLimiter:
    return SessionLimiter(settings.SMTP_MAX_SESSIONS, settings.SMTP_MAX_SESSIONS_PER_IP)


def server_kwargs() -> dict[str, Any]:
    """aiosmtpd's own limits, and the session limiter `CaduceeSMTP` applies."""
    return {
        "timeout": settings.SMTP_IDLE_TIMEOUT,
        "command_call_limit": settings.SMTP_COMMAND_LIMIT,
        "limiter": limiter(),
    }


def too_many_recipients(count: int) -> bool:
    """True when a message already has the most recipients allowed."""
    return count >= settings.SMTP_MAX_RCPT
