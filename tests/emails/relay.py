"""A loopback relay that refuses some recipients, for the transient / permanent cases.

`refuse…@` gets 550 (permanent), `busy…@` gets 451 (transient) at RCPT; every other
message is kept, as tests/smtp_sink.py does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

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


class PickyRelay:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.received: list[Received] = []
        self._controller = _LoopbackController(_Picky(self))  # type: ignore[arg-type]
        self.port = self._controller.port

    def add(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)

    def recipients(self) -> list[str]:
        with self._lock:
            return [r for m in self.received for r in m.recipients]


@contextmanager
def picky_relay() -> Iterator[PickyRelay]:
    relay = PickyRelay()
    relay._controller.start()
    try:
        yield relay
    finally:
        relay._controller.stop()
