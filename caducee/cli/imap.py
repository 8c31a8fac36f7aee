"""`caducee imap`: the IMAP service alone (issue #18); `caducee serve` starts it too."""

from __future__ import annotations

import argparse
from typing import Any

OFF = {"off", "non", "0", "none"}


def register(commands: Any) -> None:
    imap = commands.add_parser(
        "imap",
        help="servir uniquement IMAP (lecture de la messagerie par Thunderbird, Outlook…)",
        description=(
            "Sert IMAP sur CADUCEE_IMAP (défaut 127.0.0.1:1143, STARTTLS) et, si défini, "
            "CADUCEE_IMAPS (TLS implicite, le rôle du port 993). Les dossiers et les états "
            "des messages sont ceux de la messagerie web (même base de données)."
        ),
    )
    imap.add_argument("--imap", default="", help="adresse hôte:port (défaut : CADUCEE_IMAP)")
    imap.add_argument("--imaps", default="", help="TLS implicite hôte:port (CADUCEE_IMAPS)")
    imap.set_defaults(func=run_imap)


def addresses(imap: str = "", imaps: str = "") -> list[tuple[str, int, bool, str]]:
    """(host, port, implicit TLS, setting) of each listener asked for; CADUCEE_IMAP=off
    serves no plain listener."""
    from caducee.config import env_str, parse_host_port

    found: list[tuple[str, int, bool, str]] = []
    plain = imap or env_str("CADUCEE_IMAP", "127.0.0.1:1143")
    if plain.strip().lower() not in OFF:
        host, port = parse_host_port(plain, 143)
        found.append((host, port, False, "--imap / CADUCEE_IMAP"))
    secure = imaps or env_str("CADUCEE_IMAPS", "")
    if secure.strip() and secure.strip().lower() not in OFF:
        host, port = parse_host_port(secure, 993)
        found.append((host, port, True, "--imaps / CADUCEE_IMAPS"))
    return found


def start_imap(imap: str = "", imaps: str = "") -> list[Any]:
    """Start the IMAP listeners; return what to stop (a taken address said in French)."""
    from caducee.cli.listening import bind_error
    from caducee.mail.imap.server import ImapService

    started: list[Any] = []
    for host, port, implicit, setting in addresses(imap, imaps):
        service = ImapService(host, port, implicit_tls=implicit)
        try:
            service.start()
        except OSError as exc:
            for item in started:
                item.stop()
            raise bind_error(exc, host, port, setting) from None
        started.append(service)
        print(f"IMAP{'S' if implicit else ''} sur {host}:{port}", flush=True)
    return started


def run_imap(args: argparse.Namespace) -> int:
    from caducee.cli.stopping import stop_event

    done = stop_event()  # before announcing: a stop asked at once is a clean stop
    started = start_imap(args.imap, args.imaps)
    if not started:
        print("Aucune adresse IMAP à servir (CADUCEE_IMAP=off sans CADUCEE_IMAPS).", flush=True)
        return 1
    try:
        while not done.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for item in reversed(started):
            item.stop()
    return 0
