"""`caducee serve`: the whole platform in one process: web, SMTP, mail delivery, task
workers and the scheduler (the embedded default of `make run`)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def register(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="servir toute la plateforme dans un seul processus (tout-en-un)",
        description=(
            "Sert toute la plateforme dans un seul processus, tout-en-un (ce que lance "
            "« make run ») : la console web, la réception et la soumission SMTP, la file "
            "d'envoi de messagerie, IMAP, un fil d'exécution des tâches par file (urgent, default, "
            "imports) et le planificateur (qui attend son tour si un autre détient le bail). "
            "Ne modifie pas le schéma : lancez d'abord « caducee migrate ». Pour répartir "
            "les rôles sur plusieurs machines : caducee web, smtp, worker et scheduler."
        ),
    )
    serve.add_argument(
        "--http",
        default="",
        help="adresse d'écoute hôte:port (défaut : CADUCEE_HTTP ou 127.0.0.1:8000)",
    )
    serve.add_argument("--threads", type=int, default=8, help="fils de traitement HTTP")
    serve.add_argument(
        "--smtp",
        default="",
        help="réception SMTP hôte:port (défaut : CADUCEE_SMTP ou 127.0.0.1:2525)",
    )
    serve.add_argument(
        "--submission",
        default="",
        help="soumission SMTP hôte:port (défaut : CADUCEE_SUBMISSION ou 127.0.0.1:5870)",
    )
    serve.add_argument(  # issue #18
        "--imap",
        default="",
        help="IMAP hôte:port (défaut : CADUCEE_IMAP ou 127.0.0.1:1143 ; « off » : sans IMAP)",
    )
    serve.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from caducee.loadusers.jobs import recover_interrupted

    if args.submission:  # so the application-password page shows the port served
        os.environ["CADUCEE_SUBMISSION"] = args.submission
    from caducee.monitoring.exporter import start as start_metrics

    recover_interrupted()  # imports cut short by a previous stop: run again by a worker
    start_metrics()  # /metrics on CADUCEE_METRICS_HTTP when set
    server, host, port = embedded_server(args.http, args.threads)  # bind before announcing
    announce(host, port)
    from caducee.cli.imap import start_imap
    from caducee.cli.mail import start_services, stop_services

    try:
        mail_services = start_services(args.smtp, args.submission)
    except Exception:
        server.close()
        raise
    try:
        mail_services += start_imap(args.imap)  # issue #18
    except Exception:
        stop_services(mail_services)
        server.close()
        raise
    background = start_background()
    sys.stdout.flush()
    try:
        server.run()
    finally:
        stop_background(background)
        stop_services(mail_services)
    return 0


class Background:
    """What `caducee serve` runs beside the web and SMTP servers: one task worker thread
    per queue (so login codes never wait behind an import) and the scheduler, which
    waits for the lease when another scheduler of the platform holds it."""

    def __init__(self) -> None:
        import threading

        from caducee.scheduler.lease import new_holder_id
        from caducee.tasks.worker import start_threads

        self.workers = start_threads()
        self.stop_scheduler = threading.Event()
        self.scheduler = threading.Thread(
            target=self._schedule, args=(new_holder_id(),), name="caducee-scheduler", daemon=True
        )
        self.scheduler.start()

    def _schedule(self, holder: str) -> None:
        from django.db import connection

        from caducee.cli.scheduler import run_forever

        try:
            run_forever(holder, self.stop_scheduler)
        finally:
            connection.close()

    def stop(self) -> None:
        from caducee.tasks.worker import stop_threads

        self.stop_scheduler.set()
        stop_threads(self.workers)
        self.scheduler.join(timeout=30)


def start_background() -> Background:
    return Background()


def stop_background(background: Background) -> None:
    background.stop()


def http_address(http: str) -> tuple[str, int]:
    """The address to serve the web app on (`--http`, else CADUCEE_HTTP)."""
    from caducee.config import env_str, parse_host_port

    if http:
        os.environ["CADUCEE_HTTP"] = http  # so printed links use the address served
    return parse_host_port(env_str("CADUCEE_HTTP", "127.0.0.1:8000"), 8000)


def embedded_server(http: str, threads: int) -> tuple[Any, str, int]:
    """The waitress server for the web app, already bound (a taken address said in French)."""
    from waitress.server import create_server

    from caducee.cli.listening import bind_error
    from caducee.wsgi import application

    host, port = http_address(http)
    try:
        server = create_server(application, host=host, port=port, threads=threads, ident="Caducee")
    except OSError as exc:
        raise bind_error(exc, host, port, "--http / CADUCEE_HTTP") from None
    return server, host, port


def announce(host: str, port: int, how: str = "") -> None:
    """Say where the web app listens, and the one-time setup link while no operator exists."""
    from django.urls import reverse

    from caducee.identity.links import base_url, issue_setup_link

    token = issue_setup_link()
    print(f"Caducée écoute sur http://{host}:{port}/{how}", flush=True)
    if token is not None:
        print(
            "Aucun opérateur n'existe encore. Créez-le avec ce lien à usage unique, ouvert "
            f"depuis cette machine :\n  {base_url()}{reverse('identity:setup', args=[token])}",
            flush=True,
        )
