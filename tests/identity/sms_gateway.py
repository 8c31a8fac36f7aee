"""A real HTTP SMS gateway on 127.0.0.1 for the tests (issue #17 point 4).

A `ThreadingHTTPServer` in a daemon thread answers the JSON POSTs of
`caducee.identity.sms` as docs/IDENTITY.md describes a gateway: 200 with `{"id": ...}`
when the bearer token is right. `mode` forges a failure: an HTTP status (`status`), a slow
answer (`delay` seconds, bounded), or the server stopped (`stop()`: connection refused).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "jeton-passerelle-sms-de-test"
MAX_DELAY = 5.0  # a slow answer never holds a test longer


@dataclass
class Received:
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def code(self) -> str:
        found = re.search(r"\b(\d{6})\b", str(self.body.get("text", "")))
        assert found, f"no code in {self.body!r}"
        return found.group(1)


@dataclass
class Gateway:
    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    answered: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.answered = threading.Condition(self.lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/sms"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def to(self, number: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.body.get("to") == number]

    def last_code(self, number: str) -> str:
        messages = self.to(number)
        assert messages, f"no SMS to {number}"
        return messages[-1].code


def _handler(gateway_ref: list[Gateway]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            gateway = gateway_ref[0]
            length = min(int(self.headers.get("Content-Length") or 0), 65536)
            raw = self.rfile.read(length)
            if gateway.delay:
                threading.Event().wait(min(gateway.delay, MAX_DELAY))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._answer(401, {"error": "bad token"})
                return
            try:
                body = json.loads(raw)
            except ValueError:
                self._answer(400, {"error": "not JSON"})
                return
            with gateway.lock:
                gateway.received.append(Received(dict(self.headers.items()), body))
                number = len(gateway.received)
            if gateway.status >= 300:
                self._answer(gateway.status, {"error": "forged failure"})
                return
            self._answer(gateway.status, {"id": f"msg-{number}"})

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def running() -> Iterator[Gateway]:
    ref: list[Gateway] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref))
    server.daemon_threads = True
    gateway = Gateway(server)
    ref.append(gateway)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def configure(settings: Any, gateway: Gateway) -> None:
    """Point the platform's SMS settings at this gateway (the `settings` fixture)."""
    settings.SMS_BACKEND = "http"
    settings.SMS_URL = gateway.url
    settings.SMS_TOKEN = TOKEN
    settings.SMS_TIMEOUT = 1
