"""The IMAP commands on the selected folder's messages (RFC 3501 §6.4, RFC 4315 UIDPLUS,
RFC 6851 MOVE): CLOSE, UNSELECT, EXPUNGE, SEARCH, STORE, COPY/MOVE, FETCH; each through the
mail operations, so that the webmail sees the same states."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from caducee.audit.actions import AuditAction
from caducee.mail import imap_actions, uids
from caducee.mail.access import audit_shared
from caducee.mail.folders import FLAG_COLUMNS, move_messages, set_flags
from caducee.mail.imap import fetching, folder_commands, search, wire
from caducee.mail.imap.connection import No
from caducee.mail.imap.wire import BadCommand, Token
from caducee.mail.models import Message, SystemFolder

if TYPE_CHECKING:
    from caducee.mail.imap.session import Session


def close(session: Session, args: list[Token]) -> str:
    assert session.ctx is not None and session.mailbox is not None and session.selected is not None
    if not session.readonly:
        imap_actions.expunge(
            session.ctx, session.mailbox, session.selected.space, session.selected.folder
        )
    session.selected = None
    return "CLOSE termine"


def unselect(session: Session, args: list[Token]) -> str:
    session.selected = None
    return "UNSELECT termine"


def writable(session: Session) -> None:
    if session.readonly:
        raise No("[READ-ONLY] Dossier ouvert en lecture seule (EXAMINE)")


def expunge(session: Session, args: list[Token], by_uid: bool) -> str:
    assert session.ctx is not None and session.mailbox is not None and session.selected is not None
    writable(session)
    only = None
    if by_uid:
        if not args:
            raise BadCommand("UID EXPUNGE ensemble")
        only = [uid for _, uid in session.targets(args[0], True)]
    imap_actions.expunge(
        session.ctx, session.mailbox, session.selected.space, session.selected.folder, only
    )
    session.sync(expunge=True)
    return "EXPUNGE termine"


def search_messages(session: Session, args: list[Token], by_uid: bool) -> str:
    if session.selected is None:
        raise BadCommand("aucun dossier")
    largest_uid = session.uids[-1] if session.uids else 0
    test = search.compile_keys(args, len(session.uids), largest_uid)
    hits = [
        str(uid if by_uid else n)
        for n, uid in enumerate(session.uids, 1)
        if uid in session.rows and test(n, session.rows[uid])
    ]
    session.untagged("SEARCH" + "".join(" " + h for h in hits))
    return "SEARCH termine"


def store(session: Session, args: list[Token], by_uid: bool) -> str:
    assert session.ctx is not None and session.mailbox is not None and session.selected is not None
    writable(session)
    if len(args) != 3:
        raise BadCommand("STORE ensemble [+-]FLAGS (etats)")
    targets = session.targets(args[0], by_uid)
    mode = wire.text(args[1]).upper()
    silent = mode.endswith(".SILENT")
    mode = mode.removesuffix(".SILENT")
    flags_token = args[2]
    given = flags_token if isinstance(flags_token, list) else [flags_token]
    flags = {folder_commands.flag_name(t) for t in given}
    columns = {FLAG_COLUMNS[f] for f in flags if f in FLAG_COLUMNS}
    if mode == "FLAGS":
        changes = {c: c in columns for c in FLAG_COLUMNS.values()}
    elif mode == "+FLAGS":
        changes = dict.fromkeys(columns, True)
    elif mode == "-FLAGS":
        changes = dict.fromkeys(columns, False)
    else:
        raise BadCommand(f"STORE {mode} inconnu (FLAGS, +FLAGS, -FLAGS)")
    ids = [session.rows[uid].id for _, uid in targets]
    if ids and changes:
        set_flags(session.ctx, session.mailbox, ids, changes)
    draft = session.selected.folder == SystemFolder.DRAFTS
    for n, uid in targets:
        row = session.rows[uid]
        for column, value in changes.items():
            setattr(row, "deleted" if column == "deleted_mark" else column, value)
        if not silent:
            flag_text = " ".join(row.flags(draft))
            prefix = f"UID {uid} " if by_uid else ""
            session.untagged(f"{n} FETCH ({prefix}FLAGS ({flag_text}))")
    return "STORE termine"


def copy(session: Session, args: list[Token], by_uid: bool, move: bool) -> str:
    assert session.ctx is not None and session.mailbox is not None and session.selected is not None
    if len(args) != 2:
        raise BadCommand("COPY ensemble dossier")
    targets = session.targets(args[0], by_uid)
    destination = folder_commands.folder(session, args[1])
    if destination.space != session.selected.space:
        raise No("[CANNOT] Un message ne passe pas d'un espace a l'autre (Prof. Sante, Patient)")
    if not targets:
        return f"{'MOVE' if move else 'COPY'} termine (aucun message)"
    source_ids = [session.rows[uid].id for _, uid in targets]
    if move:
        writable(session)
        move_messages(session.ctx, session.mailbox, source_ids, destination.folder)
        new_ids = source_ids
    else:
        new_ids = imap_actions.copy_messages(
            session.ctx, session.mailbox, source_ids, destination.space, destination.folder
        )
    state = uids.assign(session.mailbox.pk, destination.space, destination.folder)
    given = dict(Message.objects.filter(pk__in=new_ids).values_list("pk", "imap_uid"))
    code = (
        f"COPYUID {state.pk} {','.join(str(uid) for _, uid in targets)} "
        f"{','.join(str(given[i]) for i in new_ids)}"
    )
    if move:
        session.untagged(f"OK [{code}] Messages deplaces")
        session.sync(expunge=True)
        return "MOVE termine"
    return f"[{code}] COPY termine"


# --- FETCH -------------------------------------------------------------------------


def fetch(session: Session, args: list[Token], by_uid: bool) -> str:
    assert session.selected is not None and session.ctx is not None and session.mailbox is not None
    if len(args) != 2:
        raise BadCommand("FETCH ensemble elements")
    targets = session.targets(args[0], by_uid)
    items = fetching.fetch_items(args[1])
    if by_uid and "UID" not in items:
        items.insert(0, "UID")
    draft = session.selected.folder == SystemFolder.DRAFTS
    marks: list[int] = []
    audited: list[int] = []
    for n, uid in targets:
        row = session.rows[uid]
        data, sets_seen, reads_body = fetching.fetch_one(row, items, draft)
        if sets_seen and not row.seen and not session.readonly:
            marks.append(row.id)
            row.seen = True
            if "FLAGS" not in items:  # the client is told of the \Seen it caused
                data.append(fetching.flags_item(row, draft))
        if reads_body:
            audited.append(row.id)
        session.send(f"* {n} FETCH (".encode() + b" ".join(data) + b")\r\n")
        if len(session.out) >= 200:
            session.flush()
    if marks:
        set_flags(session.ctx, session.mailbox, marks, {"seen": True})
    for message_row in Message.objects.filter(pk__in=audited):
        with transaction.atomic():
            audit_shared(
                session.ctx,
                session.mailbox,
                AuditAction.MAIL_READ,
                message_row,
                message_id=message_row.message_id,
            )
    return "FETCH termine"
