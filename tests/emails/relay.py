"""Loopback relays (test support): one that refuses some recipients, for the transient /
permanent cases (`refuse…@` gets 550, `busy…@` gets 451 at RCPT), and one on a port
chosen beforehand, for a relay that comes back where the platform expects it. Both keep
every message they accept, as tests/smtp_sink.py does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.smtp_sink import Received, _Collector, _LoopbackController


class _Picky(_Collector):
    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("refuse"):
            return "550 5.1.1 Destinataire inconnu"
        if address.startswith("busy"):
            return "451 4.3.0 Reessayez plus tard"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class _OnPort(Controller):
    def __init__(self, handler: Any, port: int) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=port, ready_timeout=10.0)


class PickyRelay:
    def __init__(self, port: int = 0, *, picky: bool = True) -> None:
        self._lock = threading.Lock()
        self.received: list[Received] = []
        handler = _Picky(self) if picky else _Collector(self)  # type: ignore[arg-type]
        self._controller: Controller = (
            _OnPort(handler, port) if port else _LoopbackController(handler)
        )
        self.port = port or self._controller.port  # type: ignore[attr-defined]

    def add(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)

    def recipients(self) -> list[str]:
        with self._lock:
            return [r for m in self.received for r in m.recipients]


@contextmanager
def picky_relay(port: int = 0, *, picky: bool = True) -> Iterator[PickyRelay]:
    relay = PickyRelay(port, picky=picky)
    relay._controller.start()
    try:
        yield relay
    finally:
        relay._controller.stop()
