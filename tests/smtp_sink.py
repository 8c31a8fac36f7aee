"""A real SMTP server on loopback that keeps every message it receives (test support).

Tests point Django's SMTP backend at it (tests/conftest.py), so emails really travel
over SMTP through smtplib; nothing is mocked. `SmtpSink.wait_for` polls with a bound.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

_CURRENT: list[SmtpSink] = []


class _Collector:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.sink.add(Received(list(envelope.rcpt_tos), parsed))
        return "250 2.0.0 Message accepted"


class _LoopbackController(Controller):
    """aiosmtpd's Controller on a socket bound beforehand to a random free port."""

    def __init__(self, handler: Any) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        port = self._sock.getsockname()[1]
        super().__init__(handler, hostname="127.0.0.1", port=port, ready_timeout=10.0)

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._sock)


class Received:
    """One message as delivered: envelope recipients and the parsed message."""

    def __init__(self, recipients: list[str], message: EmailMessage) -> None:
        self.recipients = [r.lower() for r in recipients]
        self.message = message

    @property
    def subject(self) -> str:
        # Django folds long encoded subjects after "Subject:"; readers unfold and trim.
        return " ".join(str(self.message.get("Subject", "")).split())

    def part(self, subtype: str) -> str:
        """The decoded text/<subtype> part ('plain' or 'html'), or ''."""
        for part in self.message.walk():
            if part.get_content_type() == f"text/{subtype}" and not part.is_attachment():
                content = part.get_content()
                return str(content)
        return ""

    @property
    def text(self) -> str:
        return self.part("plain")

    @property
    def html(self) -> str:
        return self.part("html")


class SmtpSink:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[Received] = []
        # Called at each poll of `wait_for` and before `messages`, `count` and `to` answer:
        # conftest runs the ready background tasks (platform emails are tasks), as a worker
        # would, so what a test reads is what the sink holds once the queue caught up.
        self.before_wait: Callable[[], object] | None = None
        self._controller = _LoopbackController(_Collector(self))
        self.host = "127.0.0.1"
        self.port = self._controller.port

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def add(self, received: Received) -> None:
        with self._lock:
            self._messages.append(received)

    def _catch_up(self) -> None:
        if self.before_wait is not None:
            self.before_wait()

    def _received(self) -> list[Received]:
        with self._lock:
            return list(self._messages)

    @property
    def messages(self) -> list[Received]:
        self._catch_up()
        return self._received()

    def count(self) -> int:
        self._catch_up()
        with self._lock:
            return len(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def to(self, address: str) -> list[Received]:
        address = address.lower()
        return [m for m in self.messages if address in m.recipients]

    def wait_for(
        self,
        address: str,
        *,
        since: int = 0,
        match: Callable[[Received], bool] | None = None,
        timeout: float = 10.0,
    ) -> Received:
        """The first message to `address` received after the `since`-th one (bounded wait)."""
        address = address.lower()
        deadline = time.monotonic() + timeout
        while True:
            self._catch_up()
            for received in self._received()[since:]:
                if address in received.recipients and (match is None or match(received)):
                    return received
            if time.monotonic() > deadline:
                raise AssertionError(f"no email to {address} within {timeout} s")
            time.sleep(0.05)


CODE = re.compile(r"\b(\d{6})\b")


def code_in(received: Received) -> str:
    """The 6-digit one-time code of a login-code email."""
    found = CODE.search(received.text)
    if found is None:
        raise AssertionError(f"no 6-digit code in: {received.text!r}")
    return found.group(1)


def url_in(received: Received) -> str:
    found = re.search(r"https?://\S+", received.text)
    if found is None:
        raise AssertionError(f"no link in: {received.text!r}")
    return found.group(0)


def install(sink: SmtpSink) -> None:
    _CURRENT.clear()
    _CURRENT.append(sink)


def current() -> SmtpSink:
    if not _CURRENT:
        raise RuntimeError("the SMTP sink is not running (tests/conftest.py starts it)")
    return _CURRENT[0]
