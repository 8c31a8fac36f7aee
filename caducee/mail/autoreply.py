"""Automatic replies (« Réponse automatique », docs/MESSAGING.md): an out-of-office text per
mailbox, between two dates, following RFC 3834.

- Set by the mailbox's users: the owner of a nominative mailbox, the connection accounts
  of an ORG (or APP) mailbox; never by a delegate (`set_autoreply`).
- Sent when a message is delivered to the mailbox (inbound MTA, or from another mailbox
  of the platform), to the envelope sender (RFC 3834 §4), never (§2):
  to an empty return path or a MAILER-DAEMON / postmaster / list-owner address, to the
  mailbox's own addresses, in answer to a message with `Auto-Submitted` other than `no`,
  a `Precedence` of bulk, junk or list, any `List-*` header, or one that does not name the
  mailbox in To / Cc;
  and at most once per sender and period (`AutoReplySent`, in the database).
- The reply carries `Auto-Submitted: auto-replied`, `In-Reply-To` / `References` and the
  MSSanté NIL, has an empty envelope sender (§3.3: no reply to a reply), and goes the
  normal way: local delivery, or the outgoing queue (its recipient checked as any other:
  MSSanté space, test addresses).

The inbound MTA asks `active_mailboxes()` on every message: a set kept in memory for
CADUCEE_AUTOREPLY_CACHE_SECONDS, so a reply switched on in another process starts at most
that long after.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import date
from email.headerregistry import Address
from email.message import EmailMessage
from email.message import Message as EmailHeaders
from email.parser import BytesHeaderParser
from email.policy import SMTP, compat32
from email.utils import format_datetime, getaddresses, make_msgid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context, system_context
from caducee.core.errors import Forbidden, Invalid, OperationError, Problem
from caducee.mail import addresses, mime, mss
from caducee.mail.access import require_mailbox
from caducee.mail.models import AutoReply, AutoReplySent

log = logging.getLogger("caducee.mail.autoreply")

MAX_TEXT = 5000
ROBOTS = frozenset({"mailer-daemon", "postmaster", "noreply", "no-reply", "ne-pas-repondre"})


@dataclass(frozen=True)
class Settings:
    """What the webmail and the API show of a mailbox's automatic reply."""

    enabled: bool
    starts_on: date | None
    ends_on: date | None
    subject: str
    text: str
    active_now: bool


def is_active(rule: AutoReply, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return rule.enabled and rule.starts_on <= today <= rule.ends_on


def _settings(rule: AutoReply | None) -> Settings:
    if rule is None:
        return Settings(False, None, None, "", "", False)
    return Settings(
        rule.enabled, rule.starts_on, rule.ends_on, rule.subject, rule.text, is_active(rule)
    )


def get_autoreply(ctx: Context, mailbox: Account) -> Settings:
    """A user of the mailbox (`require_mailbox`); no audit. Its automatic reply."""
    require_mailbox(ctx, mailbox)
    return _settings(AutoReply.objects.filter(mailbox=mailbox).first())


def settings_of(mailboxes: list[Account]) -> dict[int, Settings]:
    """The automatic replies of mailboxes the caller already opened for the person (the
    « Paramètres » page lists their own and their linked ones): one query for all."""
    rules = {r.mailbox_id: r for r in AutoReply.objects.filter(mailbox__in=mailboxes)}
    return {box.pk: _settings(rules.get(box.pk)) for box in mailboxes}


def _validate(
    enabled: bool, starts_on: date | None, ends_on: date | None, subject: str, text: str
) -> None:
    problems: list[Problem] = []
    if enabled and starts_on is None:
        problems.append(Problem("starts_on", "required", "Indiquez la date de début (« Du »)."))
    if enabled and ends_on is None:
        problems.append(Problem("ends_on", "required", "Indiquez la date de fin (« Au »)."))
    if starts_on and ends_on and ends_on < starts_on:
        problems.append(
            Problem(
                "ends_on",
                "order",
                "La date de fin précède la date de début : corrigez l'une des deux.",
            )
        )
    if enabled and not text.strip():
        problems.append(Problem("text", "required", "Écrivez le texte de la réponse automatique."))
    if len(text) > MAX_TEXT:
        problems.append(
            Problem("text", "too_long", f"Le texte ne doit pas dépasser {MAX_TEXT} caractères.")
        )
    if len(subject) > 200 or any(ch in subject for ch in "\r\n"):
        problems.append(
            Problem(
                "subject",
                "invalid",
                "L'objet tient sur une ligne de 200 caractères au plus.",
            )
        )
    if problems:
        raise Invalid(problems[0].message, problems)


def set_autoreply(
    ctx: Context,
    mailbox: Account,
    *,
    enabled: bool,
    starts_on: date | None,
    ends_on: date | None,
    subject: str = "",
    text: str = "",
) -> Settings:
    """The owner of the mailbox, or a connection account of an ORG/APP mailbox (never a
    delegate); audits `mail.autoreply_update`. Its automatic reply, on or off."""
    access = require_mailbox(ctx, mailbox)
    if access.right is not None:
        raise Forbidden(
            "Un délégué ne peut pas modifier la réponse automatique de cette boîte : "
            "demandez-le à son titulaire."
        )
    subject, text = subject.strip(), text.strip()
    _validate(enabled, starts_on, ends_on, subject, text)
    today = timezone.localdate()
    with transaction.atomic():
        rule, _ = AutoReply.objects.update_or_create(
            mailbox=mailbox,
            defaults={
                "enabled": enabled,
                "starts_on": starts_on or today,
                "ends_on": ends_on or starts_on or today,
                "subject": subject,
                "text": text,
                "updated_at": timezone.now(),
                "updated_by": ctx.user,
            },
        )
        # Only the current period's answered senders are kept (a bounded table).
        AutoReplySent.objects.filter(mailbox=mailbox).exclude(period_start=rule.starts_on).delete()
        record_event(
            ctx,
            AuditAction.MAIL_AUTOREPLY_UPDATE,
            structure=mailbox.structure,
            target=mailbox,
            target_label=mailbox.email,
            detail={
                "mailbox": mailbox.email,
                "enabled": enabled,
                "starts_on": rule.starts_on.isoformat(),
                "ends_on": rule.ends_on.isoformat(),
            },
        )
        transaction.on_commit(forget_active)
    return get_autoreply(ctx, mailbox)


# --- the inbound side -------------------------------------------------------------------

_active: tuple[float, frozenset[int]] = (0.0, frozenset())
_active_lock = threading.Lock()


def forget_active() -> None:
    global _active
    with _active_lock:
        _active = (0.0, frozenset())


def active_mailboxes() -> frozenset[int]:
    """The ids of the mailboxes whose automatic reply is on today (kept for a few seconds)."""
    global _active
    expires, ids = _active
    now = time.monotonic()
    if expires > now:
        return ids
    today = timezone.localdate()
    fresh = frozenset(
        AutoReply.objects.filter(
            enabled=True, starts_on__lte=today, ends_on__gte=today
        ).values_list("mailbox_id", flat=True)
    )
    with _active_lock:
        _active = (now + settings.AUTOREPLY_CACHE_SECONDS, fresh)
    return fresh


def _value(headers: EmailHeaders, name: str) -> str:
    return " ".join(str(headers.get(name, "")).split()).lower()


def skip_reason(headers: EmailHeaders, sender: str, own: set[str]) -> str:
    """Why RFC 3834 forbids answering this message (English, for the log), or ""."""
    if not sender:
        return "empty return path"
    local = sender.partition("@")[0]
    if local in ROBOTS or local.startswith("owner-") or local.endswith("-request"):
        return "robot sender"
    if sender in own:
        return "own address"
    auto = _value(headers, "Auto-Submitted").split(";")[0].strip()
    if auto and auto != "no":
        return "auto-submitted message"
    if _value(headers, "Precedence") in {"bulk", "junk", "list"}:
        return "bulk precedence"
    if any(str(name).lower().startswith("list-") for name in headers.keys()):  # noqa: SIM118 - Message has no __iter__ over names only
        return "mailing list"
    named = [str(v) for name in ("To", "Cc") for v in headers.get_all(name) or []]
    if not {addresses.normalise(a) for _, a in getaddresses(named)} & own:
        return "mailbox not named in To/Cc"
    return ""


def _reply_bytes(mailbox: Account, rule: AutoReply, target: str, data: bytes) -> bytes:
    original = mime.summary(data)
    own = addresses.sender_address(mailbox)
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(display_name=mailbox.display_name, addr_spec=own)
    msg["To"] = target
    msg["Subject"] = rule.subject or f"Réponse automatique : {original.subject}".strip()
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = make_msgid(domain=addresses.domain_of(own) or "localhost")
    if original.message_id:
        msg["In-Reply-To"] = original.message_id
        msg["References"] = f"{original.references} {original.message_id}".strip()
    msg["Auto-Submitted"] = "auto-replied"
    for name, value in mss.Stamp().headers():
        msg[name] = value
    msg.set_content(rule.text)
    return msg.as_bytes()


def respond(mailbox_id: int, envelope_sender: str, data: bytes) -> bool:
    """The platform, when it delivers a message to a mailbox; audits `mail.autoreply_send`.

    Answers with the mailbox's automatic reply when it is on and RFC 3834 allows it; True
    when a reply was sent (delivered inside or queued)."""
    from caducee.mail.sending import dispatch

    if mailbox_id not in active_mailboxes():
        return False
    rule = AutoReply.objects.select_related("mailbox__structure").filter(mailbox_id=mailbox_id)
    found = rule.first()
    if found is None or not is_active(found):
        return False
    mailbox = found.mailbox
    target = addresses.normalise(envelope_sender) if envelope_sender else ""
    own = {addresses.sender_address(mailbox), mailbox.email.lower()} - {""}
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    headers = BytesHeaderParser(policy=compat32).parsebytes(head + b"\r\n\r\n")
    reason = skip_reason(headers, target, own)
    if reason:
        log.debug("no automatic reply from mailbox %s: %s", mailbox_id, reason)
        return False
    try:
        recipients = addresses.check_recipients(mailbox, [target])
    except OperationError as exc:
        log.info("no automatic reply from mailbox %s: %s", mailbox_id, exc.message)
        return False
    reply = _reply_bytes(mailbox, found, target, data)
    ctx = system_context("autoreply")
    with transaction.atomic():
        try:
            with transaction.atomic():
                AutoReplySent.objects.create(
                    mailbox=mailbox,
                    recipient=target,
                    period_start=found.starts_on,
                    sent_at=timezone.now(),
                )
        except IntegrityError:  # already answered in this period
            return False
        local, queued = dispatch(mailbox, reply, recipients, envelope_sender="")
        record_event(
            ctx,
            AuditAction.MAIL_AUTOREPLY_SEND,
            structure=mailbox.structure,
            target=mailbox,
            target_label=mailbox.email,
            detail={"mailbox": mailbox.email, "to": target, "local": local, "queued": queued},
        )
    return True


def respond_quietly(mailbox_id: int, envelope_sender: str, data: bytes) -> None:
    """`respond`, never raising: a received message is stored whatever the reply does."""
    try:
        respond(mailbox_id, envelope_sender, data)
    except Exception:
        log.exception("automatic reply of mailbox %s failed", mailbox_id)
