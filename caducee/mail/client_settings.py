"""The submission and IMAP servers as a person's mail client reaches them (the page of application
passwords and docs/MESSAGING.md show these values)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from caducee.config import env_str, parse_host_port

WILDCARDS = {"", "0.0.0.0", "::"}  # noqa: S104 (compared with, never bound)


@dataclass(frozen=True)
class SubmissionServer:
    host: str
    port: int


def submission_server() -> SubmissionServer:
    """`CADUCEE_SUBMISSION_PUBLIC` when set; else the platform's mail host name and the port
    the submission service listens on (`CADUCEE_SUBMISSION`).

    The host name is `CADUCEE_SMTP_HOSTNAME` unless it is left at « localhost », then the host
    of the public address (`CADUCEE_BASE_URL`), then the listening address itself."""
    from caducee.identity.links import base_url

    bind_host, bind_port = parse_host_port(env_str("CADUCEE_SUBMISSION", "127.0.0.1:5870"), 587)
    public = str(settings.SUBMISSION_PUBLIC).strip()
    if public:
        host, port = parse_host_port(public, bind_port)
        return SubmissionServer(host, port)
    host = str(settings.SMTP_HOSTNAME)
    if host in WILDCARDS or host == "localhost":
        host = (urlsplit(settings.BASE_URL).hostname or "") if settings.BASE_URL else ""
    if not host:
        host = bind_host if bind_host not in WILDCARDS else urlsplit(base_url()).hostname or ""
    return SubmissionServer(host, bind_port)


def imap_server() -> SubmissionServer | None:
    """Issue #18: `CADUCEE_IMAP_PUBLIC` when set; else the submission server's host name and
    the port IMAP listens on (`CADUCEE_IMAP`). None when IMAP is off."""
    from caducee.cli.imap import OFF

    listen = env_str("CADUCEE_IMAP", "127.0.0.1:1143")
    public = str(settings.IMAP_PUBLIC).strip()
    if listen.strip().lower() in OFF and not public:
        return None
    bind_port = 143 if listen.strip().lower() in OFF else parse_host_port(listen, 143)[1]
    if public:
        host, port = parse_host_port(public, bind_port)
        return SubmissionServer(host, port)
    return SubmissionServer(submission_server().host, bind_port)
