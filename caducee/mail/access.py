"""Who may use a mailbox and its messages, and reading them (audited in shared mailboxes).

In a shared (ORG/APP) mailbox every read, send, move and delete is an audit event naming
the physical person (the Context's user): `audit_shared`. So is every action of a delegate
in the mailbox they opened through a delegation (webmail only), which is also limited to
what the delegate right allows (`accounts.delegation_rights`, `require_mailbox(need=…)`).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from caducee.accounts import activity
from caducee.accounts.delegation_rights import Capability, allows, refusal
from caducee.accounts.models import Account
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import Forbidden, NotFound
from caducee.identity.mailboxes import MailboxAccess, mailbox_access
from caducee.mail import mime, search, store
from caducee.mail.models import Message


def require_mailbox(
    ctx: Context, mailbox: Account, need: Capability = Capability.READ
) -> MailboxAccess:
    """The person may use this mailbox (own, or linked ORG/APP; in the webmail also as a
    delegate, within the right: `need`); else it does not exist (NotFound), or, for a
    delegate whose right does not allow `need`, Forbidden with the French reason.

    Without a person, only the platform itself may: the server (`ctx.is_server`: a command
    on the server, a system job) and the SMTP channel, whose inbound service delivers for
    other operators' servers (no person behind them). Any other context without a person
    (a web or API request whose person was deleted) sees nothing.
    """
    if ctx.user is None:
        if ctx.is_server or ctx.channel == "smtp":
            return MailboxAccess()
        raise NotFound("Boîte introuvable.")
    access = mailbox_access(ctx.user, mailbox, delegated=ctx.channel == "web")
    if access is None:
        raise NotFound("Boîte introuvable.")
    if access.right is not None and not allows(access.right, need):
        raise Forbidden(refusal(access.right, mailbox.email, need))
    return access


def get_message(ctx: Context, mailbox: Account, message_id: int) -> Message:
    """A user of the mailbox (`require_mailbox`); no audit. The message, else NotFound."""
    require_mailbox(ctx, mailbox)
    message = Message.objects.filter(pk=message_id, mailbox=mailbox).first()
    if message is None:
        raise NotFound("Message introuvable.")
    return message


def messages_in(mailbox: Account, space: str, folder: str, query: str = "") -> QuerySet[Message]:
    """Messages of one folder, newest first (served by the `mail_list` index); with a query,
    those matching every word of it (`caducee.mail.search`)."""
    return search_in(mailbox, space, folder, query).matches().order_by("-received_at", "-id")


def search_in(mailbox: Account, space: str, folder: str, query: str = "") -> search.FolderSearch:
    """The messages of one folder matching `query`, for a page (`caducee.mail.listing`):
    with many matches on SQLite, the folder and how to walk it (`search.IndexWalk`)."""
    return search.search_folder(mailbox.pk, space, folder, query)


def is_audited(ctx: Context, mailbox: Account) -> bool:
    """Actions in this mailbox are audited one by one: a shared (ORG/APP) mailbox, or a
    mailbox the person does not own (opened as a delegate)."""
    return mailbox.is_shared or (ctx.user is not None and mailbox.user_id != ctx.user.pk)


def audit_shared(
    ctx: Context, mailbox: Account, action: AuditAction, target: Message | None, **detail: object
) -> None:
    """Record an action on a shared (ORG/APP) mailbox, or by a delegate, naming the person
    (actor) and the mailbox (target label, `acting_as`); none in one's own mailbox."""
    if is_audited(ctx, mailbox):
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
