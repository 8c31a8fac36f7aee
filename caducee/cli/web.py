"""`caducee web`: the web application only (no SMTP, no delivery worker).

Production runs it under gunicorn (several processes); `--embedded` keeps the embedded
waitress server of `caducee serve`, for a single machine or a quick look.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
from typing import Any

GUNICORN_THREADS = 4
EMBEDDED_THREADS = 8


def register(commands: Any) -> None:
    web = commands.add_parser(
        "web",
        help="servir uniquement l'application web (gunicorn ; sans SMTP ni file d'envoi)",
        description=(
            "Sert la console et le webmail, sans SMTP ni file d'envoi (lancez « caducee "
            "smtp » à côté). Par défaut avec gunicorn, en CADUCEE_WEB_WORKERS processus ; "
            "--embedded utilise le serveur intégré de « caducee serve »."
        ),
    )
    web.add_argument(
        "--http",
        default="",
        help="adresse d'écoute hôte:port (défaut : CADUCEE_HTTP ou 127.0.0.1:8000)",
    )
    web.add_argument(
        "--workers",
        type=int,
        default=0,
        help="processus gunicorn (défaut : CADUCEE_WEB_WORKERS ou 2)",
    )
    web.add_argument(
        "--threads",
        type=int,
        default=0,
        help=f"fils de traitement par processus (défaut : {GUNICORN_THREADS} ; "
        f"{EMBEDDED_THREADS} avec --embedded)",
    )
    web.add_argument(
        "--embedded",
        dest="embedded",
        action="store_true",
        help="serveur intégré (waitress, un processus) au lieu de gunicorn",
    )
    web.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from caducee.config import ConfigError, env_int
    from caducee.loadusers.jobs import recover_interrupted

    if not 0 <= args.threads <= 256:
        raise ConfigError(
            f"Nombre de fils invalide ({args.threads}) : indiquez un entier de 1 à 256."
        )
    recover_interrupted()  # imports cut short by a previous stop: run again by a worker
    if args.embedded:
        return _run_embedded(args.http, args.threads or EMBEDDED_THREADS)
    workers = args.workers or env_int("CADUCEE_WEB_WORKERS", 2)
    if not 1 <= workers <= 64:
        raise ConfigError(
            f"Nombre de processus web invalide ({workers}) : indiquez un entier de 1 à 64 "
            "(--workers / CADUCEE_WEB_WORKERS)."
        )
    return _exec_gunicorn(args.http, workers, args.threads or GUNICORN_THREADS)


def _run_embedded(http: str, threads: int) -> int:
    from caducee.cli.serve import announce, embedded_server

    server, host, port = embedded_server(http, threads)
    announce(host, port, " (serveur intégré, web seul)")
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    return 0


def _exec_gunicorn(http: str, workers: int, threads: int) -> int:
    """Bind here (a taken address said in French), then become gunicorn on that socket."""
    from django.db import connections

    from caducee.cli.listening import bind_error
    from caducee.cli.serve import announce, http_address

    host, port = http_address(http)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise bind_error(exc, host, port, "--http / CADUCEE_HTTP") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    announce(host, port, f" (gunicorn, {workers} processus)")
    connections.close_all()  # the workers open their own
    sys.stdout.flush()
    sys.stderr.flush()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"fd://{sock.fileno()}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--name",
        "caducee-web",
        "--no-control-socket",  # one shared path per user would clash between instances
        # gunicorn trusts no proxy header of its own: the platform alone decides, from
        # CADUCEE_TRUSTED_PROXIES (caducee/core/client_address.py).
        "--forwarded-allow-ips=",
        # JSON or plain logs as the platform's, and /metrics on CADUCEE_METRICS_HTTP.
        "--config",
        "python:caducee.monitoring.gunicorn_hooks",
        "caducee.wsgi:application",
    ]
    os.execv(sys.executable, argv)  # noqa: S606 - this interpreter, fixed arguments
    return 0  # not reached
