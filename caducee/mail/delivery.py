"""The outgoing queue: SMTP to the recipient's domain, retries with back-off, bounces.

Workers claim rows with `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL) then a conditional
UPDATE (every backend), so several may run at once, on one machine or several (in
`caducee serve`, in `caducee smtp` processes, or `caducee mail deliver` from cron). The
bytes of a queued message are in the database (`OutboundBody`), so any worker can send any
row; a row whose bytes cannot be found is retried and reported, never bounced.
"""

from __future__ import annotations

import contextlib
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
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.config import ConfigError
from caducee.mail import addresses, store, tls, trust
from caducee.mail.models import Outbound, OutboundBody, QueueState

log = logging.getLogger("caducee.mail.delivery")

BATCH = 20


class TemporaryFailure(Exception):
    """4xx, connection refused, timeout, no STARTTLS: try again later."""


class PermanentFailure(Exception):
    """5xx: the recipient's server refuses for good."""


class MissingBody(Exception):
    """The bytes of a queued message cannot be found: an operator problem, never a bounce."""


MISSING_BODY = (
    "le contenu du message à envoyer est introuvable (ni en base, ni dans le stockage) : "
    "nouvel essai plus tard ; vérifiez la base de données et le dossier des messages"
)


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
            domain = addresses.domain_of(recipient)
            if client.has_extn("starttls"):
                client.starttls(context=tls.client_context())
                client.ehlo()
                _check_peer(client, domain, host, port)
            elif settings.SMTP_REQUIRE_TLS or trust.is_whitelisted(domain):
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


def _check_peer(client: smtplib.SMTP, domain: str, host: str, port: int) -> None:
    """Between operators (a whitelisted domain): the peer's certificate is its operator's."""
    sock = client.sock
    der = sock.getpeercert(binary_form=True) if isinstance(sock, ssl.SSLSocket) else None
    refusal = trust.check_receiving_peer(der, domain, host, port)
    if refusal is not None:
        raise TemporaryFailure(refusal)


def _raise_for(code: int, text: bytes | str) -> None:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    detail = f"{code} {message}".strip()
    if 500 <= code < 600:
        raise PermanentFailure(detail)
    raise TemporaryFailure(detail)


def claim(limit: int = BATCH, now: datetime | None = None) -> list[Outbound]:
    """Take due rows; a row stuck in 'sending' (worker died) is due again after a while.

    On PostgreSQL the candidates are read with FOR UPDATE SKIP LOCKED: concurrent workers
    get disjoint rows without waiting for each other. The conditional UPDATE below keeps
    the claim exclusive on every backend (SQLite has no row locks)."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.DELIVERY_CLAIM_SECONDS)
    skip_locked = connection.features.has_select_for_update_skip_locked
    mine: list[int] = []
    # The row locks last until the claim commits; on SQLite each UPDATE commits alone.
    with transaction.atomic() if skip_locked else contextlib.nullcontext():
        due_rows = Outbound.objects.filter(
            state=QueueState.PENDING, next_attempt_at__lte=now
        ).order_by("next_attempt_at")
        stale_rows = Outbound.objects.filter(
            state=QueueState.SENDING, claimed_at__lt=stale_before
        ).order_by("claimed_at")
        if skip_locked:
            due_rows = due_rows.select_for_update(skip_locked=True)
            stale_rows = stale_rows.select_for_update(skip_locked=True)
        due = list(due_rows.values_list("pk", flat=True)[:limit])
        stale = list(stale_rows.values_list("pk", flat=True)[:limit])
        for pk in due:
            if Outbound.objects.filter(pk=pk, state=QueueState.PENDING).update(
                state=QueueState.SENDING, claimed_at=now
            ):
                mine.append(pk)
        for pk in stale:
            if Outbound.objects.filter(
                pk=pk, state=QueueState.SENDING, claimed_at__lt=stale_before
            ).update(claimed_at=now):
                mine.append(pk)
    return list(Outbound.objects.filter(pk__in=mine).select_related("mailbox"))


def message_bytes(row: Outbound) -> bytes:
    """The bytes to send: from the database, else (a row queued before the bytes moved
    to the database) from the mail store; raises MissingBody."""
    if row.body_id is not None:
        data = OutboundBody.objects.filter(pk=row.body_id).values_list("data", flat=True).first()
        if data is not None:
            return bytes(data)
    if row.path:
        try:
            return store.read(row.path)
        except (OSError, ValueError):
            pass
    raise MissingBody(MISSING_BODY)


def renew_claim(row: Outbound) -> bool:
    """Renew this worker's claim just before sending the row; False when it is not ours
    any more (another worker took it as stale while a long batch went on).

    A batch is claimed at once, so without renewal the last rows of a slow batch could
    look abandoned after `CADUCEE_DELIVERY_CLAIM_SECONDS` and be sent by two workers."""
    fresh = timezone.now()
    renewed = Outbound.objects.filter(
        pk=row.pk, state=QueueState.SENDING, claimed_at=row.claimed_at
    ).update(claimed_at=fresh)
    row.claimed_at = fresh
    return bool(renewed)


def attempt(row: Outbound) -> str:
    """Try one row (claimed by this worker); return its new state."""
    if not renew_claim(row):
        return QueueState.SENDING  # another worker has it now
    now = timezone.now()
    try:
        data = message_bytes(row)
    except MissingBody as exc:
        log.error(
            "queued message %s for %s has no body (pid %s, host %s): retried later",
            row.pk,
            row.recipient,
            os.getpid(),
            socket.gethostname(),
        )
        return _retry_later(row, now, str(exc))
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
            _release_body(row)
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
        return _bounce_and_close(row, reason, data)
    return _retry_later(row, now, error)


def _retry_later(row: Outbound, now: datetime, error: str) -> str:
    Outbound.objects.filter(pk=row.pk).update(
        state=QueueState.PENDING,
        attempts=row.attempts + 1,
        next_attempt_at=now + backoff(row.attempts + 1),
        last_error=error[:2000],
        claimed_at=None,
    )
    return QueueState.PENDING


_WAITING = [QueueState.PENDING, QueueState.SENDING]


def _release_body(row: Outbound) -> None:
    """Drop the bytes once no row of the message waits any more (inside the caller's
    transaction). Two workers finishing the last two rows at once may both keep them:
    `operations.purge_delivered` removes such leftovers."""
    if (
        row.body_id is not None
        and not Outbound.objects.filter(body_id=row.body_id, state__in=_WAITING).exists()
    ):
        OutboundBody.objects.filter(pk=row.body_id).only("pk").delete()
    path = row.path
    if path and not Outbound.objects.filter(path=path, state__in=_WAITING).exists():
        transaction.on_commit(lambda: store.delete(path))


def _bounce_and_close(row: Outbound, reason: str, original: bytes) -> str:
    with transaction.atomic():
        Outbound.objects.filter(pk=row.pk).update(
            state=QueueState.BOUNCED,
            done_at=timezone.now(),
            attempts=row.attempts + 1,
            last_error=reason[:2000],
        )
        if row.sender and row.mailbox is not None:
            bounce(row.mailbox, row.sender, row.recipient, reason, original)
        _release_body(row)
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
