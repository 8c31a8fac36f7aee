"""`caducee smtp` (SMTP services for scale-out) and `caducee mail …` (whitelist, queue)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from typing import IO, Any

from caducee.cli.stopping import stop_event


def register(commands: Any) -> None:
    smtp = commands.add_parser(
        "smtp", help="servir uniquement SMTP (réception, soumission) et la file d'envoi"
    )
    smtp.add_argument("--smtp", default="", help="réception hôte:port (défaut : CADUCEE_SMTP)")
    smtp.add_argument(
        "--submission", default="", help="soumission hôte:port (défaut : CADUCEE_SUBMISSION)"
    )
    smtp.add_argument("--no-delivery", action="store_true", help="ne pas lancer la file d'envoi")
    smtp.add_argument(
        "--processes",
        type=int,
        default=0,
        help="processus qui se partagent les ports SMTP (défaut : CADUCEE_SMTP_PROCESSES ou 1)",
    )
    smtp.add_argument("--shared-port", action="store_true", help=argparse.SUPPRESS)
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


def start_services(
    smtp: str = "",
    submission: str = "",
    delivery: bool = True,
    *,
    shared_port: bool = False,
    announce: bool = True,
) -> list[Any]:
    """Start the SMTP listeners (and the delivery worker); return what to stop."""
    from caducee.cli.listening import bind_error
    from caducee.mail.delivery import Worker
    from caducee.mail.smtp_server import inbound_controller, submission_controller

    (in_host, in_port), (sub_host, sub_port) = smtp_addresses(smtp, submission)
    _load_whitelist()
    started: list[Any] = []
    listeners = (
        (inbound_controller, in_host, in_port, "--smtp / CADUCEE_SMTP"),
        (submission_controller, sub_host, sub_port, "--submission / CADUCEE_SUBMISSION"),
    )
    for make, host, port, setting in listeners:
        controller = make(host, port, shared_port=shared_port)
        try:
            controller.start()
        except OSError as exc:
            stop_services(started)
            raise bind_error(exc, host, port, setting) from None
        started.append(controller)
    if announce:
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
    from caducee.config import ConfigError, env_int

    processes = args.processes or env_int("CADUCEE_SMTP_PROCESSES", 1)
    if not 1 <= processes <= 64:
        raise ConfigError(
            f"Nombre de processus SMTP invalide ({processes}) : indiquez un entier de 1 à 64."
        )
    shared = args.shared_port or processes > 1
    from caducee.monitoring.exporter import start as start_metrics

    start_metrics()  # /metrics on CADUCEE_METRICS_HTTP when set
    started = start_services(
        args.smtp, args.submission, not args.no_delivery, shared_port=shared, announce=False
    )
    done = stop_event()
    helpers: list[subprocess.Popen[str]] = []
    status = 0
    try:
        for _ in range(processes - 1):  # one by one: those started are stopped on failure
            helpers.append(_start_helper(args.smtp, args.submission))
        (in_host, in_port), (sub_host, sub_port) = smtp_addresses(args.smtp, args.submission)
        print(
            f"SMTP (réception) sur {in_host}:{in_port}, soumission sur {sub_host}:{sub_port}"
            + (f" ({processes} processus)" if processes > 1 else ""),
            flush=True,
        )
        parent = os.getppid()
        while not done.wait(1.0):
            if args.shared_port and os.getppid() != parent:
                break  # the process that started this one is gone: stop with it
            if any(helper.poll() is not None for helper in helpers):
                sys.stderr.write(
                    "Un processus SMTP s'est arrêté de façon inattendue : arrêt du service "
                    "(relancez-le ; les messages acceptés sont déjà enregistrés).\n"
                )
                status = 1
                break
    except KeyboardInterrupt:
        pass
    finally:
        _stop_helpers(helpers)
        stop_services(started)
    return status


def _start_helper(smtp: str, submission: str) -> subprocess.Popen[str]:
    """One more `caducee smtp` process on the same ports; returns once it listens."""
    (in_host, in_port), (sub_host, sub_port) = smtp_addresses(smtp, submission)
    process = subprocess.Popen(  # noqa: S603 - this interpreter, addresses already parsed
        [
            sys.executable,
            "-m",
            "caducee.cli.main",
            "smtp",
            "--smtp",
            _host_port(in_host, in_port),
            "--submission",
            _host_port(sub_host, sub_port),
            "--no-delivery",
            "--processes",
            "1",
            "--shared-port",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    ready = process.stdout.readline()
    for _ in range(3):  # the whitelist line may come first
        if "SMTP" in ready or not ready:
            break
        ready = process.stdout.readline()
    if "SMTP" not in ready:
        process.kill()
        process.wait(timeout=30)
        raise OSError(f"un processus SMTP supplémentaire n'a pas démarré ({ready.strip()})")
    threading.Thread(target=_relay, args=(process.stdout,), daemon=True).start()
    return process


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _relay(stream: IO[str]) -> None:
    for line in stream:
        sys.stdout.write(line)
        sys.stdout.flush()


def _stop_helpers(helpers: list[subprocess.Popen[str]]) -> None:
    for helper in helpers:
        if helper.poll() is None:
            helper.terminate()
    for helper in helpers:
        try:
            helper.wait(timeout=30)
        except subprocess.TimeoutExpired:
            helper.kill()
            helper.wait(timeout=10)


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
