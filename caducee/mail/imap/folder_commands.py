"""The IMAP commands on folders (RFC 3501 §6.3): SELECT/EXAMINE, CREATE, DELETE, RENAME,
(UN)SUBSCRIBE, NAMESPACE, LIST/LSUB, STATUS, APPEND; each through the mail operations."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from django.conf import settings

from caducee.mail import imap_actions, uids
from caducee.mail.folders import FLAG_COLUMNS, create_folder, delete_folder, rename_folder
from caducee.mail.imap import names, wire
from caducee.mail.imap.connection import No
from caducee.mail.imap.fetching import parse_internaldate
from caducee.mail.imap.wire import BadCommand, Token
from caducee.mail.models import Message

if TYPE_CHECKING:
    from caducee.mail.imap.session import Session

SYSTEM_FLAGS = "(\\Answered \\Flagged \\Deleted \\Seen \\Draft)"
PERMANENT = "(\\Answered \\Flagged \\Deleted \\Seen)"


def folder(session: Session, token: Token) -> names.Entry:
    assert session.mailbox is not None
    try:
        name = names.decode(wire.text(token))
    except (ValueError, UnicodeDecodeError):
        raise BadCommand("nom de dossier mal encode") from None
    entry = names.find(session.mailbox.pk, name)
    if entry is None:
        raise No("[TRYCREATE] Dossier introuvable")
    return entry


def select(session: Session, args: list[Token], readonly: bool) -> str:
    if not args:
        raise BadCommand("dossier manquant")
    session.selected = None
    entry = folder(session, args[0])
    session.selected, session.readonly = entry, readonly
    session.uids, session.rows = [], {}
    session.sync(expunge=False, announce=False)
    session.untagged(f"FLAGS {SYSTEM_FLAGS}")
    session.untagged(f"OK [PERMANENTFLAGS {'()' if readonly else PERMANENT}] Etats conserves")
    session.untagged(f"{len(session.uids)} EXISTS")
    session.untagged("0 RECENT")
    unseen = next((n for n, u in enumerate(session.uids, 1) if not session.rows[u].seen), None)
    if unseen is not None:
        session.untagged(f"OK [UNSEEN {unseen}] Premier message non lu")
    session.untagged(f"OK [UIDVALIDITY {session.validity}] UIDs valides")
    session.untagged(f"OK [UIDNEXT {session.uid_next}] UID suivant")
    mode = "READ-ONLY" if readonly else "READ-WRITE"
    return f"[{mode}] {'EXAMINE' if readonly else 'SELECT'} termine"


def create(session: Session, args: list[Token]) -> str:
    assert session.ctx is not None and session.mailbox is not None
    if not args:
        raise BadCommand("nom manquant")
    name = names.decode(wire.text(args[0])).rstrip(names.DELIMITER)
    if names.find(session.mailbox.pk, name) is not None:
        raise No("[ALREADYEXISTS] Ce dossier existe deja")
    space, local = names.split(name)
    create_folder(session.ctx, session.mailbox, space, local)
    return "CREATE termine"


def user_folder(session: Session, entry: names.Entry) -> int:
    if not entry.folder.startswith("f"):
        raise No("[CANNOT] Un dossier du systeme ne se supprime ni ne se renomme")
    return int(entry.folder[1:])


def delete(session: Session, args: list[Token]) -> str:
    assert session.ctx is not None and session.mailbox is not None
    if not args:
        raise BadCommand("nom manquant")
    entry = folder(session, args[0])
    delete_folder(session.ctx, session.mailbox, user_folder(session, entry))
    if session.selected == entry:
        session.selected = None
    return "DELETE termine (ses messages sont dans Messages supprimes)"


def rename(session: Session, args: list[Token]) -> str:
    assert session.ctx is not None and session.mailbox is not None
    if len(args) != 2:
        raise BadCommand("RENAME ancien nouveau")
    entry = folder(session, args[0])
    space, local = names.split(names.decode(wire.text(args[1])))
    if space != entry.space:
        raise No("[CANNOT] Un dossier ne change pas d'espace (Prof. Sante, Patient)")
    rename_folder(session.ctx, session.mailbox, user_folder(session, entry), local)
    return "RENAME termine"


def subscribe(session: Session, args: list[Token]) -> str:
    if not args:
        raise BadCommand("nom manquant")
    folder(session, args[0])
    return "Tous les dossiers sont toujours abonnes"


def namespace(session: Session, args: list[Token]) -> str:
    session.untagged('NAMESPACE (("" "/")) NIL NIL')
    return "NAMESPACE termine"


def list_folders(session: Session, args: list[Token], verb: str) -> str:
    assert session.mailbox is not None
    special_only = False
    if args and isinstance(args[0], list):  # LIST (SPECIAL-USE) "" "*"
        special_only = any(wire.text(t).upper() == "SPECIAL-USE" for t in args[0])
        args = args[1:]
    if len(args) < 2:
        raise BadCommand(f"{verb} reference motif")
    reference, pattern = wire.text(args[0]), wire.text(args[1])
    if not pattern:
        session.untagged('LIST (\\Noselect) "/" ""')
        return f"{verb} termine"
    regex = re.compile(
        "^"
        + "".join(
            ".*" if c == "*" else "[^/]*" if c == "%" else re.escape(c) for c in reference + pattern
        )
        + "$",
        re.IGNORECASE if (reference + pattern).upper().startswith("INBOX") else 0,
    )
    entries = names.entries(session.mailbox.pk)
    parents = {e.name.rsplit("/", 1)[0] for e in entries if "/" in e.name}
    for entry in entries:
        encoded = names.encode(entry.name)
        if not regex.match(encoded) or (special_only and not entry.attributes):
            continue
        attributes = list(entry.attributes)
        attributes.append("\\HasChildren" if entry.name in parents else "\\HasNoChildren")
        session.untagged(f'{verb} ({" ".join(attributes)}) "/" '.encode() + wire.quote(encoded))
    return f"{verb} termine"


def status(session: Session, args: list[Token]) -> str:
    assert session.mailbox is not None
    if len(args) != 2 or not isinstance(args[1], list):
        raise BadCommand("STATUS dossier (elements)")
    entry = folder(session, args[0])
    state = uids.assign(session.mailbox.pk, entry.space, entry.folder)
    rows = Message.objects.filter(mailbox=session.mailbox, space=entry.space, folder=entry.folder)
    values: list[str] = []
    for item in args[1]:
        key = wire.text(item).upper()
        if key == "MESSAGES":
            values.append(f"MESSAGES {rows.count()}")
        elif key == "RECENT":
            values.append("RECENT 0")
        elif key == "UIDNEXT":
            values.append(f"UIDNEXT {state.uid_next}")
        elif key == "UIDVALIDITY":
            values.append(f"UIDVALIDITY {state.pk}")
        elif key == "UNSEEN":
            values.append(f"UNSEEN {rows.filter(seen=False).count()}")
        else:
            raise BadCommand(f"element de STATUS inconnu : {key}")
    session.untagged(
        b"STATUS " + wire.quote(names.encode(entry.name)) + f" ({' '.join(values)})".encode()
    )
    return "STATUS termine"


def append(session: Session, args: list[Token]) -> str:
    assert session.ctx is not None and session.mailbox is not None
    if len(args) < 2 or not isinstance(args[-1], bytes):
        raise BadCommand("APPEND dossier [(etats)] [date] {taille}")
    entry = folder(session, args[0])
    data = args[-1]
    if len(data) > settings.SMTP_MAX_BYTES:
        raise No("[TOOBIG] Message trop volumineux")
    states: dict[str, bool] = {}
    received: dt.datetime | None = None
    for extra in args[1:-1]:
        if isinstance(extra, list):
            states = {
                FLAG_COLUMNS[f]: True for f in (flag_name(t) for t in extra) if f in FLAG_COLUMNS
            }
        else:
            received = parse_internaldate(wire.text(extra))
    row = imap_actions.append_message(
        session.ctx, session.mailbox, entry.space, entry.folder, data, states, received
    )
    state = uids.assign(session.mailbox.pk, entry.space, entry.folder)
    uid = Message.objects.values_list("imap_uid", flat=True).get(pk=row.pk)
    if session.selected == entry:
        session.sync(expunge=False)
    return f"[APPENDUID {state.pk} {uid}] APPEND termine"


def flag_name(token: Token) -> str:
    """A flag as the client wrote it, in the case of FLAG_COLUMNS when it is one of them."""
    value = wire.text(token)
    for known in FLAG_COLUMNS:
        if value.lower() == known.lower():
            return known
    return value
