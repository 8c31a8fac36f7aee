"""A loopback stand-in for the national directory: records each POST, answers `statuses`
in turn (then 200), so a test can make it fail a few times before it accepts."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FhirSink:
    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.received: list[tuple[int, dict[str, Any]]] = []  # (answered status, body)
        self.url = ""

    @property
    def accepted(self) -> list[dict[str, Any]]:
        return [body for status, body in self.received if status < 300]


@contextmanager
def running_sink(statuses: list[int] | None = None) -> Iterator[FhirSink]:
    sink = FhirSink(statuses)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            status = sink.statuses.pop(0) if sink.statuses else 200
            sink.received.append((status, body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sink.url = f"http://127.0.0.1:{server.server_address[1]}/fhir"
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
