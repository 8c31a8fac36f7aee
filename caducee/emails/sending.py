"""Sending claimed outbox rows over one SMTP connection.

1. Claim: one conditional UPDATE takes the pending rows among the ids that nobody holds
   (or whose holder's claim expired); a second task given the same ids claims none.
2. Send over one connection (`django.core.mail.get_connection()`), and mark each row sent
   right after its own send, so a retry never sends it again. Each message's Message-ID
   is derived from the row's idempotency key.
3. Failures:
   - transient (connection refused or closed, timeout, 4xx): the rows not sent are
     released, due again after the backoff, and the task is retried for them
     (caducee.tasks.dispatch.retry_later); a row out of attempts ends `failed`;
   - permanent (5xx for that message): that row ends `failed` with the relay's answer,
     the others go on.
"""

from __future__ import annotations

import logging
import re
import smtplib
import uuid
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F, Q
from django.utils import timezone

from caducee.emails.models import EmailStatus, OutgoingEmail
from caducee.tasks.dispatch import backoff

log = logging.getLogger("caducee.email")

# How long a task holds its rows; past it, the sweep or another task may take them over.
CLAIM = timedelta(minutes=30)
SAFE_KEY = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class Transient(Exception):
    """The relay cannot take mail now; try again later."""


def claim(ids: list[int], token: str) -> list[OutgoingEmail]:
    """Take the pending, unheld rows among `ids` for this task (one UPDATE), oldest first."""
    now = timezone.now()
    OutgoingEmail.objects.filter(pk__in=ids, status=EmailStatus.PENDING).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    ).update(claim_token=token, claimed_until=now + CLAIM, attempts=F("attempts") + 1)
    return list(
        OutgoingEmail.objects.filter(pk__in=ids, claim_token=token)
        .only("pk", "key", "recipient", "subject", "text", "html", "queue", "attempts")
        .order_by("pk")
    )


def message_id(key: str) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "caducee.localhost"
    local = key if SAFE_KEY.match(key) else uuid.uuid5(uuid.NAMESPACE_URL, key).hex
    return f"<{local}@{domain}>"


def build(row: OutgoingEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        row.subject,
        row.text,
        settings.DEFAULT_FROM_EMAIL,
        [row.recipient],
        headers={"Message-ID": message_id(row.key)},
    )
    if row.html:
        message.attach_alternative(row.html, "text/html")
    return message


def classify(exc: BaseException) -> str:
    """'connection' (the relay is gone: stop), 'transient' (this message, later) or
    'permanent' (this message, never)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _answer in exc.recipients.values()]
        return "permanent" if codes and min(codes) >= 500 else "transient"
    if isinstance(exc, smtplib.SMTPResponseException):  # (SMTPException is an OSError)
        if exc.smtp_code == 421:
            return "connection"
        return "permanent" if exc.smtp_code >= 500 else "transient"
    if isinstance(exc, OSError):
        return "connection"  # refused, reset, timeout, disconnected
    return "permanent"  # the message itself cannot be sent (bad header, encoding…)


def _text(answer: bytes | str) -> str:
    return answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)


def error_text(exc: BaseException) -> str:
    """The relay's answer (code and text), or the exception, for the row and the console."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{rcpt} : {code} {_text(answer)}" for rcpt, (code, answer) in exc.recipients.items()
        )[:1000]
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"[:1000]
    return f"{type(exc).__name__}: {exc}"[:1000]


def send_rows(ids: list[int], attempt: int = 1) -> dict[str, int]:
    """Claim, send and record the rows among `ids`; the counts (sent, failed, retried)."""
    token = uuid.uuid4().hex
    rows = claim(list(ids), token)
    counts = {"sent": 0, "failed": 0, "retried": 0}
    if not rows:
        return counts
    later: list[OutgoingEmail] = []
    problem: BaseException | None = None
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:
        later, problem = rows, exc
    else:
        try:
            for index, row in enumerate(rows):
                try:
                    connection.send_messages([build(row)])
                except Exception as exc:
                    kind = classify(exc)
                    if kind == "permanent":
                        _fail([row.pk], token, error_text(exc))
                        counts["failed"] += 1
                        continue
                    problem = exc
                    if kind == "transient":
                        later.append(row)
                        continue
                    later.extend(rows[index:])
                    break
                _sent(row.pk)
                counts["sent"] += 1
        finally:
            try:
                connection.close()
            except Exception:  # a relay that already hung up
                log.debug("closing the SMTP connection failed", exc_info=True)
    if later and problem is not None:
        retried, failed = _release(later, token, attempt, problem)
        counts["retried"] += retried
        counts["failed"] += failed
    return counts


def _sent(pk: int) -> None:
    OutgoingEmail.objects.filter(pk=pk).update(
        status=EmailStatus.SENT,
        sent_at=timezone.now(),
        claim_token="",
        claimed_until=None,
        last_error="",
    )


def _fail(pks: list[int], token: str, error: str) -> None:
    OutgoingEmail.objects.filter(pk__in=pks, claim_token=token).update(
        status=EmailStatus.FAILED, claim_token="", claimed_until=None, last_error=error
    )
    log.error("email(s) %s refused for good: %s", pks, error)


def _release(
    rows: list[OutgoingEmail], token: str, attempt: int, exc: BaseException
) -> tuple[int, int]:
    """Give back rows not sent: out of attempts → failed; else due after the backoff and
    retried by a new task. (retried, failed) counts."""
    from caducee.emails.tasks import task_for
    from caducee.tasks.dispatch import retry_later

    error = error_text(exc)
    limit = int(settings.TASK_RETRY_ATTEMPTS)
    spent = [r.pk for r in rows if r.attempts >= limit]
    again = [r for r in rows if r.attempts < limit]
    if spent:
        _fail(spent, token, f"abandonné après {limit} tentatives : {error}")
    if not again:
        return 0, len(spent)
    tries = max(attempt, min(r.attempts for r in again))
    pks = [r.pk for r in again]
    OutgoingEmail.objects.filter(pk__in=pks, claim_token=token).update(
        claim_token="",
        claimed_until=None,
        next_attempt_at=timezone.now() + timedelta(seconds=backoff(tries)),
        last_error=error,
    )
    try:
        retry_later(task_for(again[0].queue), tries, exc, pks)
    except Exception:  # not enqueued (queue down): the sweep enqueues the rows again
        log.warning("emails %s not re-enqueued; the sweep will", pks, exc_info=True)
    return len(again), len(spent)
