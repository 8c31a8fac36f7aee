"""Sending: a message composed in the webmail or the API (`send_message`), one written by a
mail client or software (`submit_raw`), drafts; local recipients get it at once, the
others through the outgoing queue (`delivery.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from caducee.accounts import activity
from caducee.accounts.delegation_rights import Capability, allows, refusal
from caducee.accounts.models import Account
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import Forbidden, Invalid, Problem
from caducee.identity.mailboxes import openable, own_account
from caducee.mail import addresses, dedupe, mime, mss
from caducee.mail.access import audit_shared, require_mailbox
from caducee.mail.folders import delete_rows
from caducee.mail.inbound import deliver_inbound, space_for, store_message
from caducee.mail.models import Message, Outbound, OutboundBody, QueueState, Space, SystemFolder


@dataclass(frozen=True)
class SendResult:
    sent: Message
    local: int
    queued: int


def _check_space(space: str, recipients: list[addresses.Recipient]) -> None:
    patient = settings.PATIENT_DOMAIN
    for r in recipients:
        in_patient = addresses.domain_of(r.address) == patient
        if space == Space.PATIENT and not in_patient:
            raise Invalid(
                f"{r.address} : dans l'espace Patient, les destinataires sont des adresses "
                f"@{patient}. Utilisez « Nouveau message Prof. Santé » pour les professionnels."
            )
        if space == Space.PRO and in_patient:
            raise Invalid(
                f"{r.address} est l'adresse d'un patient : utilisez « Nouveau message Patient »."
            )


def dispatch(
    mailbox: Account,
    data: bytes,
    recipients: list[addresses.Recipient],
    *,
    envelope_sender: str | None = None,
) -> tuple[int, int]:
    """Deliver inside, queue the rest; inside the caller's transaction. The envelope sender
    is the mailbox's address, or "" for an automatic reply (RFC 3834 §3.3)."""
    sender = addresses.sender_address(mailbox) if envelope_sender is None else envelope_sender
    local = [r.account for r in recipients if r.account is not None]
    unique_local = list({a.pk: a for a in local}.values())
    if unique_local:
        deliver_inbound(data, unique_local, envelope_sender=sender)
    remote = [r for r in recipients if r.account is None]
    if remote:
        # The bytes go in the database with the rows (same transaction): any delivery
        # worker, on any machine, can send them; committed before the caller answers.
        now = timezone.now()
        body = OutboundBody.objects.create(data=data, size=len(data), created_at=now)
        Outbound.objects.bulk_create(
            [
                Outbound(
                    sender=sender,
                    recipient=r.address,
                    domain=addresses.domain_of(r.address),
                    body=body,
                    mailbox=mailbox,
                    next_attempt_at=now,
                    created_at=now,
                )
                for r in {r.address: r for r in remote}.values()
            ]
        )
    return len(unique_local), len(remote)


def send_message(
    ctx: Context, mailbox: Account, draft: mime.Draft, *, space: str, draft_id: int | None = None
) -> SendResult:
    """A user of the mailbox; audits `mail.send`. Stored in Sent, delivered or queued.

    A delegate (webmail) needs a right that allows it: a reply to a message of the mailbox
    with « Lecture et réponse », sent From the mailbox with a Sender naming the delegate."""
    _require_writer(ctx, mailbox, draft)
    if space not in Space.values:
        raise Invalid("Espace inconnu.")
    _set_sender(ctx, mailbox, draft)
    all_rcpts = draft.to + draft.cc + draft.bcc
    if not all_rcpts:
        raise Invalid(
            "Ajoutez au moins un destinataire (À, Cc ou Cci).",
            [Problem("to", "required", "Ajoutez au moins un destinataire.")],
        )
    recipients = (
        addresses.check_recipients(mailbox, draft.to, "to")
        + addresses.check_recipients(mailbox, draft.cc, "cc")
        + addresses.check_recipients(mailbox, draft.bcc, "bcc")
    )
    _check_space(space, recipients)
    mss.draft_headers(draft, ins=draft.ins, end=draft.closes_exchange)
    full = mime.compose(draft, include_bcc=True, domain=addresses.domain_of(draft.sender))
    public = _without_bcc(full) if draft.bcc else full
    with transaction.atomic():
        sent = store_message(
            mailbox,
            full,
            folder=SystemFolder.SENT,
            space=space,
            seen=True,
            sender_person=ctx.user,
        )
        local, queued = dispatch(mailbox, public, recipients)
        if draft_id is not None:
            delete_rows(Message.objects.filter(mailbox=mailbox, pk=draft_id, folder="drafts"))
        _record_send(ctx, mailbox, sent, recipients, local, queued)
    return SendResult(sent, local, queued)


def submit_raw(
    ctx: Context, mailbox: Account, envelope_rcpts: list[str], data: bytes
) -> SendResult:
    """A user of the mailbox (SMTP submission, API); audits `mail.send`.

    A message composed by a mail client (SMTP submission) or by software (API)."""
    require_mailbox(ctx, mailbox, Capability.WRITE)
    recipients = addresses.check_recipients(mailbox, envelope_rcpts)
    parsed = mime.parse(data)
    _check_sender_headers(ctx, mailbox, data, parsed.sender)
    first = dedupe.already_submitted(mailbox.pk, parsed.message_id)
    if first is not None:  # a client's retry: already stored, delivered and queued
        return SendResult(first, 0, 0)
    data = mss.stamp_raw(data, parsed)
    public = _without_bcc(data)
    space = space_for([r.address for r in recipients])
    with transaction.atomic():
        sent = store_message(
            mailbox,
            data,
            folder=SystemFolder.SENT,
            space=space,
            seen=True,
            sender_person=ctx.user,
            parsed=parsed,
        )
        local, queued = dispatch(mailbox, public, recipients)
        _record_send(ctx, mailbox, sent, recipients, local, queued)
    return SendResult(sent, local, queued)


def _require_writer(ctx: Context, mailbox: Account, draft: mime.Draft) -> None:
    """`require_mailbox` for writing this draft: a reply to a message of the mailbox needs
    the reply capability, any other message (new, forward) the write capability."""
    access = require_mailbox(ctx, mailbox)
    if access.right is None:
        return
    is_reply = bool(draft.in_reply_to) and (
        Message.objects.filter(mailbox=mailbox, message_id=draft.in_reply_to.strip())
        .exclude(folder=SystemFolder.DRAFTS)
        .exists()
    )
    need = Capability.REPLY if is_reply else Capability.WRITE
    if not allows(access.right, need):
        raise Forbidden(refusal(access.right, mailbox.email, need))


def _set_sender(ctx: Context, mailbox: Account, draft: mime.Draft) -> None:
    """From: the mailbox. A person writing in a nominative mailbox not their own (a
    delegate) is named in Sender: (RFC 5322 §3.6.2), with their own address."""
    draft.sender = addresses.sender_address(mailbox)
    draft.sender_name = mailbox.display_name
    if ctx.user is None or mailbox.is_shared or mailbox.user_id == ctx.user.pk:
        return
    own = own_account(ctx.user)
    if own is not None:
        draft.extra_headers["Sender"] = str(
            Address(display_name=own.display_name, addr_spec=addresses.sender_address(own))
        )


def _record_send(
    ctx: Context,
    mailbox: Account,
    sent: Message,
    recipients: list[addresses.Recipient],
    local: int,
    queued: int,
) -> None:
    """The audit event of a send: who, from which mailbox, to whom (never the content);
    and the mailbox's activity date (accounts/activity.py)."""
    activity.note(activity.Activity.SENT, [mailbox.pk])
    record_event(
        ctx,
        AuditAction.MAIL_SEND,
        structure=mailbox.structure,
        target=sent,
        target_label=mailbox.email,
        detail={
            "mailbox": mailbox.email,
            "message_id": sent.message_id,
            "recipients": [r.address for r in recipients][:50],
            "local": local,
            "queued": queued,
        },
    )


def _check_sender_headers(ctx: Context, mailbox: Account, data: bytes, first_from: str) -> None:
    """One `From:`, naming the mailbox sending; a `Sender:` must be an address the person
    may send as (their own mailbox, or an ORG/APP mailbox they are linked to)."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(data)
    if len(headers.get_all("From") or []) > 1:
        raise Invalid(
            "Le message porte plusieurs en-têtes From : un seul est admis, l'adresse de la "
            f"boîte qui envoie ({addresses.sender_address(mailbox)})."
        )
    _check_header_from(mailbox, first_from)
    values = [" ".join(str(v).split()) for v in headers.get_all("Sender") or []]
    if not values:
        return
    found = [addresses.normalise(addr) for _, addr in getaddresses(values)]
    allowed = openable(ctx.user) if ctx.user is not None else []
    if len(values) > 1 or len(found) != 1 or not found[0]:
        raise Invalid("L'en-tête Sender doit apparaître une fois au plus et porter une adresse.")
    if addresses.may_send_as(allowed, found[0]) is None:
        raise Invalid(
            f"L'en-tête Sender ({values[0]}) doit être une adresse avec laquelle vous pouvez "
            "envoyer : votre boîte ou une boîte partagée à laquelle vous êtes rattaché."
        )


def _check_header_from(mailbox: Account, header: str) -> None:
    """The From: header must name the mailbox sending (no spoofing behind a valid login)."""
    senders = mime.address_list(header)
    own = {addresses.sender_address(mailbox), mailbox.email.lower()}
    if not senders or any(addresses.normalise(a) not in own for a in senders):
        raise Invalid(
            f"L'en-tête From ({header or 'absent'}) doit être l'adresse de la boîte "
            f"qui envoie : {addresses.sender_address(mailbox)}."
        )


def _without_bcc(data: bytes) -> bytes:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = data.partition(b"\n\n")
    lines = head.splitlines(keepends=True)
    kept: list[bytes] = []
    skipping = False
    for line in lines:
        if line[:1] in (b" ", b"\t") and skipping:
            continue
        skipping = line.lower().startswith(b"bcc:")
        if not skipping:
            kept.append(line)
    return b"".join(kept) + sep + body


def save_draft(
    ctx: Context, mailbox: Account, draft: mime.Draft, *, space: str, draft_id: int | None = None
) -> Message:
    """A user of the mailbox; audits `mail.draft_save` in a shared mailbox or by a delegate
    (whose right must allow sending this draft, as `send_message`)."""
    _require_writer(ctx, mailbox, draft)
    _set_sender(ctx, mailbox, draft)
    mss.draft_headers(draft, ins=draft.ins, end=draft.closes_exchange)
    data = mime.compose(draft, include_bcc=True, domain=addresses.domain_of(draft.sender))
    with transaction.atomic():
        if draft_id is not None:
            delete_rows(Message.objects.filter(mailbox=mailbox, pk=draft_id, folder="drafts"))
        message = store_message(
            mailbox,
            data,
            folder=SystemFolder.DRAFTS,
            space=space,
            seen=True,
            sender_person=ctx.user,
        )
        audit_shared(ctx, mailbox, AuditAction.MAIL_DRAFT_SAVE, message)
    return message


def purge_delivered(older_than: timedelta = timedelta(days=30), now: datetime | None = None) -> int:
    """Forget queue rows done (sent or bounced) for longer than `older_than`, and every
    message body no waiting row needs any more; return the number of rows deleted.

    For the scheduler's purge job; safe to run from several processes at once."""
    cutoff = (now or timezone.now()) - older_than
    with transaction.atomic():
        count, _ = Outbound.objects.filter(
            state__in=[QueueState.SENT, QueueState.BOUNCED], done_at__lt=cutoff
        ).delete()
        waiting = Outbound.objects.filter(
            body=OuterRef("pk"), state__in=[QueueState.PENDING, QueueState.SENDING]
        )
        OutboundBody.objects.filter(~Exists(waiting)).only("pk").delete()
    return count
