"""`caducee smtp` (SMTP services for scale-out) and `caducee mail …` (whitelist, queue)."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any


def register(commands: Any) -> None:
    smtp = commands.add_parser(
        "smtp", help="servir uniquement SMTP (réception, soumission) et la file d'envoi"
    )
    smtp.add_argument("--smtp", default="", help="réception hôte:port (défaut : CADUCEE_SMTP)")
    smtp.add_argument(
        "--submission", default="", help="soumission hôte:port (défaut : CADUCEE_SUBMISSION)"
    )
    smtp.add_argument("--no-delivery", action="store_true", help="ne pas lancer la file d'envoi")
    smtp.set_defaults(func=run_smtp)

    mail = commands.add_parser("mail", help="messagerie : liste blanche, file d'envoi")
    sub = mail.add_subparsers(title="actions", metavar="ACTION", required=True)
    refresh = sub.add_parser(
        "whitelist-refresh", help="recharger la liste blanche MSSanté (listeblanchemssante.xml)"
    )
    refresh.add_argument("--fichier", default="", help="chemin du fichier XML")
    refresh.set_defaults(func=whitelist_refresh)
    deliver = sub.add_parser("deliver", help="un passage de la file d'envoi")
    deliver.set_defaults(func=deliver_once)


def smtp_addresses(smtp: str = "", submission: str = "") -> tuple[tuple[str, int], tuple[str, int]]:
    from caducee.config import env_str, parse_host_port

    inbound = parse_host_port(smtp or env_str("CADUCEE_SMTP", "127.0.0.1:2525"), 25)
    submit = parse_host_port(submission or env_str("CADUCEE_SUBMISSION", "127.0.0.1:5870"), 587)
    return inbound, submit


def start_services(smtp: str = "", submission: str = "", delivery: bool = True) -> list[Any]:
    """Start the SMTP listeners (and the delivery worker); return what to stop."""
    from caducee.mail.delivery import Worker
    from caducee.mail.smtp_server import inbound_controller, submission_controller

    (in_host, in_port), (sub_host, sub_port) = smtp_addresses(smtp, submission)
    _load_whitelist()
    started: list[Any] = []
    inbound = inbound_controller(in_host, in_port)
    inbound.start()
    started.append(inbound)
    submit = submission_controller(sub_host, sub_port)
    submit.start()
    started.append(submit)
    print(
        f"SMTP (réception) sur {in_host}:{in_port}, soumission sur {sub_host}:{sub_port}",
        flush=True,
    )
    if delivery:
        worker = Worker()
        worker.start()
        started.append(worker)
    return started


def _load_whitelist() -> None:
    """Load the configured whitelist at start; a bad file is reported, the old list kept."""
    import sys

    from django.conf import settings

    from caducee.core.context import system_context
    from caducee.core.errors import Invalid
    from caducee.mail.whitelist import refresh

    if not settings.MSSANTE_WHITELIST:
        return
    try:
        count = refresh(system_context("smtp-start"))
    except Invalid as exc:
        sys.stderr.write(f"Liste blanche MSSanté non rechargée : {exc.message}\n")
        return
    print(f"Liste blanche MSSanté : {count} domaines.", flush=True)


def stop_services(started: list[Any]) -> None:
    for item in reversed(started):
        item.stop()


def run_smtp(args: argparse.Namespace) -> int:
    started = start_services(args.smtp, args.submission, not args.no_delivery)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        while not done.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    stop_services(started)
    return 0


def whitelist_refresh(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.mail.whitelist import refresh

    count = refresh(cli_context(), args.fichier or None)
    print(f"Liste blanche MSSanté chargée : {count} domaines.")
    return 0


def deliver_once(args: argparse.Namespace) -> int:
    from caducee.mail.delivery import run_once

    result = run_once()
    print(
        f"File d'envoi : {result.sent} remis, {result.retried} à réessayer, "
        f"{result.bounced} non distribuables."
    )
    return 0
