"""Who may use a mailbox and its messages, and reading them (audited in shared mailboxes).

In a shared (ORG/APP) mailbox every read, send, move and delete is an audit event naming
the physical person (the Context's user): `audit_shared`.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet

from caducee.accounts import activity
from caducee.accounts.models import Account
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import NotFound
from caducee.identity.mailboxes import may_open
from caducee.mail import mime, store
from caducee.mail.models import Message


def require_mailbox(ctx: Context, mailbox: Account) -> None:
    """The person may use this mailbox (own, or linked ORG/APP); else it does not exist.

    Without a person, only the platform itself may: the server (`ctx.is_server`: a command
    on the server, a system job) and the SMTP channel, whose inbound service delivers for
    other operators' servers (no person behind them). Any other context without a person
    (a web or API request whose person was deleted) sees nothing.
    """
    if ctx.user is None:
        if ctx.is_server or ctx.channel == "smtp":
            return
        raise NotFound("Boîte introuvable.")
    if not may_open(ctx.user, mailbox):
        raise NotFound("Boîte introuvable.")


def get_message(ctx: Context, mailbox: Account, message_id: int) -> Message:
    """A user of the mailbox (`require_mailbox`); no audit. The message, else NotFound."""
    require_mailbox(ctx, mailbox)
    message = Message.objects.filter(pk=message_id, mailbox=mailbox).first()
    if message is None:
        raise NotFound("Message introuvable.")
    return message


def messages_in(mailbox: Account, space: str, folder: str, query: str = "") -> QuerySet[Message]:
    """Messages of one folder, newest first (served by the `mail_list` index)."""
    rows = Message.objects.filter(mailbox=mailbox, space=space, folder=folder)
    query = query.strip()
    if query:
        rows = rows.filter(
            Q(sender__icontains=query) | Q(subject__icontains=query) | Q(body_text__icontains=query)
        )
    return rows.order_by("-received_at", "-id")


def audit_shared(
    ctx: Context, mailbox: Account, action: AuditAction, target: Message | None, **detail: object
) -> None:
    """Record an action on a shared (ORG/APP) mailbox, naming the person; none otherwise."""
    if mailbox.is_shared:
        record_event(
            ctx,
            action,
            structure=mailbox.structure,
            target=target,
            target_label=f"{mailbox.email}",
            detail={"mailbox": mailbox.email, **detail},
        )


def read_message(ctx: Context, mailbox: Account, message_id: int) -> tuple[Message, mime.Parsed]:
    """A user of the mailbox; audits `mail.read` in a shared mailbox. Marks it seen."""
    message = get_message(ctx, mailbox, message_id)
    parsed = mime.parse(store.read(message.path))
    with transaction.atomic():
        if not message.seen:
            Message.objects.filter(pk=message.pk).update(seen=True)
            message.seen = True
            activity.note(activity.Activity.READ, [mailbox.pk])
        audit_shared(ctx, mailbox, AuditAction.MAIL_READ, message, message_id=message.message_id)
    return message, parsed


def raw_message(ctx: Context, mailbox: Account, message_id: int) -> tuple[Message, bytes]:
    """A user of the mailbox; no audit (callers that show it audit a read). The bytes."""
    message = get_message(ctx, mailbox, message_id)
    return message, store.read(message.path)
