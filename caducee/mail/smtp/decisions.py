"""What the SMTP listeners answer: plain synchronous functions, tested without sockets.

The handlers (`handlers.py`) call them in a worker thread and write their result. Every
reply is a named constant of `codes.py`; a refusal's code comes from its `Problem.code`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email.utils import format_datetime

from aiosmtpd.smtp import Session
from django.conf import settings
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.core.context import Context
from caducee.core.errors import OperationError
from caducee.identity.mailboxes import openable
from caducee.mail import addresses, autoreply, inbound, mime, mss, sending, smtp_auth, trust
from caducee.mail.smtp import codes
from caducee.mail.smtp.commit import committer
from caducee.people.models import User


def received_header(session: Session, recipient: str = "") -> bytes:
    """The RFC 5321 trace line prepended to each message this server accepts."""
    peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer or "")
    helo = (session.host_name or "inconnu").replace("\r", "").replace("\n", "")[:100]
    protocol = "ESMTPS" if session.ssl is not None else "ESMTP"
    if session.authenticated:
        protocol += "A"
    line = (
        f"Received: from {helo} ([{peer}])\r\n\tby {settings.SMTP_HOSTNAME} (Caducee) "
        f"with {protocol}{f' for <{recipient}>' if recipient else ''};\r\n"
        f"\t{_date_now()}\r\n"
    )
    return line.encode("ascii", "replace")


_date: tuple[int, str] = (0, "")


def _date_now() -> str:
    """The RFC 5322 date of this second (formatted once a second, not once a message)."""
    global _date
    second = int(time.time())
    if _date[0] != second:
        _date = (second, format_datetime(timezone.now().replace(microsecond=0)))
    return _date[1]


# --- inbound MTA (other operators' servers) ------------------------------------------


def inbound_rcpt(address: str) -> tuple[str, tuple[int, str] | None]:
    """From another server: only MSSanté addresses of this platform's domains.

    Returns the answer and, when accepted, the mailbox (id, type)."""
    normal = addresses.normalise(address)
    if not normal:
        return codes.BAD_ADDRESS, None
    mailbox = addresses.inbound_mailbox(normal)
    if mailbox is not None:
        return codes.OK, mailbox
    if not addresses.is_platform_domain(addresses.domain_of(normal)):
        return codes.RELAY_DENIED, None
    return codes.UNKNOWN_USER, None


def inbound_mail_from(peer: trust.Peer, address: str) -> str:
    """From another server: TLS, a trusted operator certificate, a whitelisted sender.
    For a given peer the answer depends only on `sender_domain(address)`."""
    refusal = trust.check_sender(peer, addresses.normalise(address) if address else "")
    return refusal or codes.SENDER_OK


def sender_domain(address: str) -> str:
    """The MAIL FROM address's domain as `inbound_mail_from` checks it; "" for the null
    sender or an address that does not read as one (checked on `From:` at DATA)."""
    normal = addresses.normalise(address) if address else ""
    return addresses.domain_of(normal) if normal else ""


def inbound_checked_data(
    peer: trust.Peer,
    data: bytes,
    mailboxes: list[tuple[int, str]],
    mail_from: str = "",
    check_domain: Callable[[trust.Peer, str], str | None] = trust.check_domain,
) -> str:
    """The `From:` / `Sender:` headers checked (`trust.check_headers`, each domain with
    `check_domain`: the handler's remembered verdicts), then stored; the message parsed
    once for both."""
    message = mime.summary_message(data)
    refusal = trust.check_header_fields(peer, message, check_domain)
    return refusal or inbound_data(data, mailboxes, mail_from, mime.summary_of(message))


def inbound_data(
    data: bytes,
    mailboxes: list[tuple[int, str]],
    mail_from: str = "",
    parsed: mime.Parsed | None = None,
) -> str:
    """Store one received message for these mailboxes (id, type); 250 once durable. Then
    the automatic replies of those that have one on answer `mail_from` (autoreply.py).
    `parsed`: its `mime.summary`, when the caller has it."""
    parsed = parsed or mime.summary(data)
    refusal = mss.patient_reply_refusal(parsed, [pk for pk, _ in mailboxes])
    if refusal:  # a patient replying to a message closed with X-MSS-MES: FIN
        return codes.MESSAGE_REFUSED.format(reason=refusal)
    rows = [  # the folders are fsync'd by the group commit, once per batch
        inbound.prepare_message(pk, data, parsed=parsed, sync_directory=False)
        for pk, _ in mailboxes
    ]
    # A retry of a message already stored (its session was cut before our 250) is answered
    # as the first time, and not stored again: the group commit checks its Message-ID
    # (mail/dedupe.py) and returns the mailboxes that did receive it.
    stored = committer.submit(rows, {pk for pk, kind in mailboxes if kind == "ORG"})
    if mail_from:
        answering = autoreply.active_mailboxes()
        for pk, _ in mailboxes:
            if pk in stored and pk in answering:
                autoreply.respond_quietly(pk, mail_from, data)
    return codes.STORED


# --- submission (the platform's own users, authenticated) ----------------------------


def submission_mail_from(user: User, address: str) -> tuple[str, Account | None]:
    """The sender must be a mailbox the person may send as (own or linked ORG/APP)."""
    if smtp_auth.is_deactivated(user):  # deactivated after this session's AUTH
        return smtp_auth.SENDING_DEACTIVATED, None
    normal = addresses.normalise(address)
    if not normal:
        return codes.BAD_ADDRESS, None
    mailbox = addresses.may_send_as(openable(user), normal)
    if mailbox is None:
        return codes.SENDER_DENIED, None
    return codes.SENDER_OK, mailbox


def submission_rcpt(mailbox: Account, address: str) -> str:
    """A recipient the mailbox may write to; a refusal's reply comes from its code."""
    try:
        addresses.check_recipients(mailbox, [address])
    except OperationError as exc:
        return codes.recipient_reply(exc)
    return codes.OK


def submission_data(user: User, mailbox: Account, rcpts: list[str], data: bytes) -> str:
    """Send the message as the mailbox (`sending.submit_raw`: checked, stored, audited)."""
    ctx = Context(user=user, acting_as=mailbox, channel="smtp")
    try:
        result = sending.submit_raw(ctx, mailbox, rcpts, data)
    except OperationError as exc:
        return codes.message_refused(exc)
    return codes.SUBMITTED.format(id=result.sent.pk)
