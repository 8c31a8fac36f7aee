"""/metrics on a separate address (CADUCEE_METRICS_HTTP), for the serving commands.

A process that serves the platform calls `start()` once: with CADUCEE_METRICS_HTTP set
(host:port, e.g. 127.0.0.1:9100) a daemon thread serves GET /metrics there, without a
token (bind it to an address only the monitoring reaches). The answer is the same as the
main app's /metrics: every process's counters on this host, and the database gauges.

Several processes of one host share one address: the first that binds it serves it, the
others say so in the log and go on (they count into the same directory, so nothing is
missing). Serving commands: `caducee serve`, `smtp` and `worker` call `start()`; under
gunicorn (`caducee web`), caducee/monitoring/gunicorn_hooks.py does it in a worker.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.db import connection

from caducee.config import parse_host_port

log = logging.getLogger("caducee.monitoring")

DEFAULT_PORT = 9100


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # scrapes every few seconds: not an access log's business


StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    from caducee.monitoring.collectors import CONTENT_TYPE, scrape

    if environ.get("PATH_INFO") != "/metrics" or environ.get("REQUEST_METHOD") not in {
        "GET",
        "HEAD",
    }:
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"Page introuvable\n"]
    try:
        body = scrape()
    except Exception:
        log.exception("metrics scrape failed")
        start_response("503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"indisponible\n"]
    finally:
        connection.close()  # this request's thread ends: its connection too
    start_response("200 OK", [("Content-Type", CONTENT_TYPE), ("Cache-Control", "no-store")])
    return [body]


class Exporter:
    def __init__(self, server: WSGIServer) -> None:
        self.server = server
        self.host, self.port = server.server_address[:2]
        self.thread = threading.Thread(
            target=server.serve_forever, name="caducee-metrics", daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def start(address: str | None = None) -> Exporter | None:
    """Serve /metrics on `address` (default: CADUCEE_METRICS_HTTP); None when there is
    none, or when another process of this host already serves it."""
    address = str(settings.METRICS_HTTP if address is None else address).strip()
    if not address:
        return None
    host, port = parse_host_port(address, DEFAULT_PORT)
    server_class = _Server6 if ":" in host else _Server
    try:
        server = make_server(
            host, port, application, server_class=server_class, handler_class=_QuietHandler
        )
    except OSError as exc:
        log.info("metrics not served by this process on %s:%s (%s)", host, port, exc.strerror)
        return None
    log.info("metrics served on http://%s:%s/metrics", host, port)
    return Exporter(server)
