"""The outgoing queue: SMTP to the recipient's domain, retries with back-off, bounces.

Workers claim rows with a conditional UPDATE, so several may run at once (in
`caducee serve`, in `caducee smtp` processes, or `caducee mail deliver` from cron).
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime, make_msgid

import dns.exception
import dns.resolver
from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.config import ConfigError
from caducee.mail import addresses, store, tls
from caducee.mail.models import Outbound, QueueState

log = logging.getLogger("caducee.mail.delivery")

CLAIM_TIMEOUT = timedelta(minutes=15)
BATCH = 20


class TemporaryFailure(Exception):
    """4xx, connection refused, timeout, no STARTTLS: try again later."""


class PermanentFailure(Exception):
    """5xx: the recipient's server refuses for good."""


@dataclass(frozen=True)
class PassResult:
    sent: int = 0
    retried: int = 0
    bounced: int = 0


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes, capped at 2 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 120))


def mx_hosts(domain: str) -> list[tuple[str, int]]:
    """MX hosts by preference, else the domain itself (RFC 5321 §5.1)."""
    try:
        answer = dns.resolver.resolve(domain, "MX", lifetime=10)
        records = sorted(answer, key=lambda r: r.preference)  # type: ignore[attr-defined]
        hosts = [str(r.exchange).rstrip(".") for r in records]  # type: ignore[attr-defined]
        if hosts and hosts != [""]:
            return [(h, 25) for h in hosts]
    except dns.resolver.NXDOMAIN:
        raise PermanentFailure(f"le domaine {domain} n'existe pas (DNS)") from None
    except (dns.exception.DNSException, OSError):
        raise TemporaryFailure(f"résolution DNS impossible pour {domain}") from None
    return [(domain, 25)]


def targets(domain: str) -> list[tuple[str, int]]:
    route = addresses.routes().get(domain.lower())
    return [route] if route else mx_hosts(domain)


def smtp_send(host: str, port: int, sender: str, recipient: str, data: bytes) -> None:
    """One SMTP transaction; raises TemporaryFailure or PermanentFailure."""
    try:
        with smtplib.SMTP(
            host, port, timeout=settings.SMTP_TIMEOUT, local_hostname=settings.SMTP_HOSTNAME
        ) as client:
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls(context=tls.client_context())
                client.ehlo()
            elif settings.SMTP_REQUIRE_TLS:
                raise TemporaryFailure(f"{host}:{port} ne propose pas STARTTLS (TLS exigé)")
            client.sendmail(sender, [recipient], data)
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        _raise_for(code, text)
    except smtplib.SMTPResponseException as exc:
        _raise_for(exc.smtp_code, exc.smtp_error)
    except (ssl.SSLError, ssl.CertificateError) as exc:
        raise TemporaryFailure(f"échec TLS avec {host}:{port} ({exc})") from None
    except ConfigError as exc:  # the client certificate cannot be read: fix and it retries
        raise TemporaryFailure(str(exc)) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise TemporaryFailure(f"connexion impossible à {host}:{port} ({exc})") from None


def _raise_for(code: int, text: bytes | str) -> None:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    detail = f"{code} {message}".strip()
    if 500 <= code < 600:
        raise PermanentFailure(detail)
    raise TemporaryFailure(detail)


def claim(limit: int = BATCH, now: datetime | None = None) -> list[Outbound]:
    """Take due rows; a row stuck in 'sending' (worker died) is due again after a while."""
    now = now or timezone.now()
    due = list(
        Outbound.objects.filter(state=QueueState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    stale = list(
        Outbound.objects.filter(
            state=QueueState.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
        ).values_list("pk", flat=True)[:limit]
    )
    mine: list[int] = []
    for pk in due:
        if Outbound.objects.filter(pk=pk, state=QueueState.PENDING).update(
            state=QueueState.SENDING, claimed_at=now
        ):
            mine.append(pk)
    for pk in stale:
        if Outbound.objects.filter(
            pk=pk, state=QueueState.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
        ).update(claimed_at=now):
            mine.append(pk)
    return list(Outbound.objects.filter(pk__in=mine).select_related("mailbox"))


def attempt(row: Outbound) -> str:
    """Try one row; return its new state."""
    now = timezone.now()
    try:
        data = store.read(row.path)
    except OSError:
        return _bounce_and_close(row, "le message à envoyer est introuvable dans le stockage")
    error = ""
    permanent = False
    try:
        for host, port in targets(row.domain):
            try:
                smtp_send(host, port, row.sender, row.recipient, data)
                error = ""
                break
            except TemporaryFailure as exc:
                error = str(exc)  # try the next MX host, if any
    except PermanentFailure as exc:
        error, permanent = str(exc), True
    except TemporaryFailure as exc:
        error = str(exc)
    if not error:
        with transaction.atomic():
            Outbound.objects.filter(pk=row.pk).update(
                state=QueueState.SENT, done_at=now, last_error="", attempts=row.attempts + 1
            )
            _release_file(row.path)
        return QueueState.SENT
    expired = now - row.created_at >= timedelta(days=settings.DELIVERY_MAX_DAYS)
    if permanent or expired:
        reason = (
            error
            if permanent
            else (
                f"{error} — nouvelles tentatives pendant "
                f"{settings.DELIVERY_MAX_DAYS} jours sans succès"
            )
        )
        return _bounce_and_close(row, reason)
    Outbound.objects.filter(pk=row.pk).update(
        state=QueueState.PENDING,
        attempts=row.attempts + 1,
        next_attempt_at=now + backoff(row.attempts + 1),
        last_error=error[:2000],
        claimed_at=None,
    )
    return QueueState.PENDING


def _release_file(path: str) -> None:
    if not Outbound.objects.filter(
        path=path, state__in=[QueueState.PENDING, QueueState.SENDING]
    ).exists():
        transaction.on_commit(lambda: store.delete(path))


def _bounce_and_close(row: Outbound, reason: str) -> str:
    with transaction.atomic():
        Outbound.objects.filter(pk=row.pk).update(
            state=QueueState.BOUNCED,
            done_at=timezone.now(),
            attempts=row.attempts + 1,
            last_error=reason[:2000],
        )
        if row.sender and row.mailbox is not None:
            try:
                original = store.read(row.path)
            except OSError:
                original = b""
            bounce(row.mailbox, row.sender, row.recipient, reason, original)
        _release_file(row.path)
    return QueueState.BOUNCED


def bounce(mailbox: Account, sender: str, recipient: str, reason: str, original: bytes) -> None:
    """Put "Undelivered Mail Returned to Sender" from MAILER-DAEMON in the sender's inbox."""
    from email.message import EmailMessage
    from email.policy import SMTP

    from caducee.mail.operations import deliver_inbound

    domain = addresses.domain_of(sender) or settings.SMTP_HOSTNAME
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"MAILER-DAEMON@{domain} (Mail Delivery System)"
    msg["To"] = sender
    msg["Subject"] = "Undelivered Mail Returned to Sender"
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(
        "Votre message n'a pas pu être remis au destinataire suivant :\n\n"
        f"    {recipient}\n\nMotif : {reason}\n\n"
        "Vérifiez l'adresse du destinataire. Les en-têtes du message d'origine sont joints.\n"
    )
    head = original.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    if head:
        msg.add_attachment(
            head.decode("utf-8", "replace"),
            subtype="rfc822-headers",
            filename="en-tetes-origine.txt",
        )
    deliver_inbound(msg.as_bytes(), [mailbox])


def run_once(limit: int = BATCH) -> PassResult:
    """One pass over the due rows."""
    sent = retried = bounced = 0
    while True:
        rows = claim(limit)
        if not rows:
            break
        for row in rows:
            state = attempt(row)
            if state == QueueState.SENT:
                sent += 1
            elif state == QueueState.BOUNCED:
                bounced += 1
            else:
                retried += 1
        if len(rows) < limit:
            break
    return PassResult(sent, retried, bounced)


class Worker(threading.Thread):
    """Background delivery inside `caducee serve` / `caducee smtp`."""

    def __init__(self, interval: float = 5.0) -> None:
        super().__init__(name="caducee-delivery", daemon=True)
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                close_old_connections()
                run_once()
            except Exception:  # keep the worker alive; the row stays due
                log.exception(
                    "delivery pass failed (pid %s, host %s)", os.getpid(), socket.gethostname()
                )
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
