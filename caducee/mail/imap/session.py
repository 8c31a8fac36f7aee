"""One IMAP4rev1 session (RFC 3501, with LITERAL+, IDLE, UIDPLUS, MOVE, NAMESPACE,
UNSELECT, CHILDREN and SPECIAL-USE) over a connected socket, in its own thread.

Everything is read from the database and the mail store at each command, and every change
goes through the mail operations (`folders.move_messages`, `folders.set_flags`,
`imap_actions`, …), the webmail's own: the two views cannot disagree. Before each command
the person's account and their right to the mailbox are checked again: a deactivated
account or a removed connection link ends the session at once.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import logging
import re
import select
import socket
import ssl
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.audit.actions import AuditAction
from caducee.core.context import Context
from caducee.core.errors import Forbidden, Invalid, NotFound
from caducee.mail import imap_actions, store, uids
from caducee.mail.access import audit_shared
from caducee.mail.folders import (
    FLAG_COLUMNS,
    create_folder,
    delete_folder,
    move_messages,
    rename_folder,
    set_flags,
)
from caducee.mail.imap import auth, names, parts, search, wire
from caducee.mail.imap.search import Row
from caducee.mail.imap.wire import Atom, BadCommand, Token
from caducee.mail.models import Message, SystemFolder
from caducee.people.models import User

log = logging.getLogger("caducee.mail.imap")

SYSTEM_FLAGS = "(\\Answered \\Flagged \\Deleted \\Seen \\Draft)"
PERMANENT = "(\\Answered \\Flagged \\Deleted \\Seen)"
NOT_ALLOWED_IN_FETCH = {"FETCH", "STORE", "SEARCH"}  # no EXPUNGE while they answer (§7.4.1)


STARTTLS = "STARTTLS"  # do_starttls's answer: the tagged OK is written by start_tls


class Closed(Exception):
    """The connection ended (client gone, LOGOUT, BYE sent)."""


class No(Exception):
    """The command failed: answered NO with this (ASCII) text."""


def ascii_text(text: str) -> str:
    return auth._ascii(text)


class Reader:
    """Lines and literals from the socket, with our own buffer (so IDLE can tell whether
    the client already sent DONE)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise Closed()
        self.buffer += data

    def readline(self) -> bytes:
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                line = bytes(self.buffer[: end + 1])
                del self.buffer[: end + 1]
                return line
            if len(self.buffer) > wire.MAX_LINE:
                raise BadCommand("ligne trop longue")
            self._fill()

    def read(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def ready(self, timeout: float) -> bool:
        if self.buffer:
            return True
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return True
        readable, _, _ = select.select([self.sock], [], [], timeout)
        return bool(readable)


class Session:
    def __init__(self, sock: socket.socket, peer: str, tls_context: ssl.SSLContext) -> None:
        self.sock = sock
        self.peer = peer
        self.tls_context = tls_context
        self.reader = Reader(sock)
        self.tls = isinstance(sock, ssl.SSLSocket)
        self.user: User | None = None
        self.mailbox: Account | None = None
        self.ctx: Context | None = None
        self.selected: names.Entry | None = None
        self.readonly = False
        self.validity = 0
        self.uid_next = 1
        self.uids: list[int] = []  # sequence number - 1 -> UID, expunged ones still in
        self.rows: dict[int, Row] = {}  # UID -> row, live ones only
        self.out: list[bytes] = []

    # --- plumbing ----------------------------------------------------------------------

    @property
    def loopback(self) -> bool:
        return self.peer.startswith("127.") or self.peer == "::1"

    def send(self, data: bytes) -> None:
        self.out.append(data)

    def untagged(self, text: str | bytes) -> None:
        self.send(b"* " + (text.encode() if isinstance(text, str) else text) + b"\r\n")

    def flush(self) -> None:
        if self.out:
            data = b"".join(self.out)
            self.out.clear()
            try:
                self.sock.sendall(data)
            except OSError:
                raise Closed() from None

    def capabilities(self) -> str:
        caps = ["IMAP4rev1", "LITERAL+"]
        if self.user is None:
            if not self.tls:
                caps.append("STARTTLS")
            if self.tls or self.loopback:
                caps += ["AUTH=PLAIN", "AUTH=LOGIN", "SASL-IR"]
            else:
                caps.append("LOGINDISABLED")
        else:
            caps += ["IDLE", "UIDPLUS", "MOVE", "NAMESPACE", "UNSELECT", "CHILDREN", "SPECIAL-USE"]
        return " ".join(caps)

    def run(self) -> None:
        self.sock.settimeout(settings.IMAP_IDLE_TIMEOUT)
        try:
            self.untagged(f"OK [CAPABILITY {self.capabilities()}] Caducee IMAP pret")
            self.flush()
            for _ in range(settings.IMAP_COMMAND_LIMIT):
                self.one_command()
            self.untagged("BYE Trop de commandes dans cette session : reconnectez-vous")
            self.flush()
        except (Closed, OSError):
            pass
        finally:
            with contextlib.suppress(Closed):
                self.flush()
            connection.close()

    def read_command(self) -> list[bytes | tuple[bytes]]:
        parts: list[bytes | tuple[bytes]] = []
        line = self.reader.readline()
        while True:
            literal = wire.literal_start(line)
            if literal is None:
                parts.append(line)
                return parts
            size, plus, start = literal
            parts.append(line[:start])
            if size > wire.MAX_LITERAL:
                if plus:
                    self.untagged("BYE Donnees trop volumineuses")
                    self.flush()
                    raise Closed()
                raise BadCommand("donnees trop volumineuses")
            if not plus:
                self.send(b"+ Pret\r\n")
                self.flush()
            parts.append((self.reader.read(size),))
            line = self.reader.readline()

    def one_command(self) -> None:
        tag = "*"
        try:
            parts = self.read_command()
            head = parts[0] if isinstance(parts[0], bytes) else b""
            tag = head.split(b" ", 1)[0].decode("ascii", "replace").strip() or "*"
            tokens = wire.tokenize(parts)
            if len(tokens) < 2 or not isinstance(tokens[1], Atom):
                raise BadCommand("commande attendue apres l'etiquette")
            name = tokens[1].upper()
            args = tokens[2:]
            close_old_connections()
            if (
                self.user is not None
                and self.mailbox is not None
                and not auth.still_allowed(self.user, self.mailbox)
            ):
                self.untagged(
                    "BYE [UNAVAILABLE] Compte desactive ou acces a la boite retire : "
                    "adressez-vous a l'administrateur de votre structure"
                )
                self.flush()
                raise Closed()
            text = self.dispatch(tag, name, args)
            if text is STARTTLS:
                self.flush()
                self.start_tls(tag)
                return
            self.send(f"{tag} OK {text}\r\n".encode())
            if name == "LOGOUT":
                self.flush()
                raise Closed()
        except BadCommand as exc:
            self.send(f"{tag} BAD {ascii_text(str(exc))}\r\n".encode())
        except No as exc:
            self.send(f"{tag} NO {ascii_text(str(exc))}\r\n".encode())
        except (Invalid, Forbidden, NotFound) as exc:
            self.send(f"{tag} NO {ascii_text(exc.message)}\r\n".encode())
        except (Closed, OSError):
            raise
        except Exception:  # a fault of ours: logged, answered, the session goes on
            log.exception("IMAP command failed for %s", self.peer)
            self.send(f"{tag} NO [SERVERBUG] Erreur interne : reessayez plus tard\r\n".encode())
        self.flush()

    def dispatch(self, tag: str, name: str, args: list[Token]) -> str:
        anywhere: dict[str, Callable[[list[Token]], str]] = {
            "CAPABILITY": self.do_capability,
            "NOOP": self.do_noop,
            "LOGOUT": self.do_logout,
        }
        before: dict[str, Callable[[list[Token]], str]] = {
            "STARTTLS": self.do_starttls,
            "LOGIN": self.do_login,
            "AUTHENTICATE": self.do_authenticate,
        }
        after: dict[str, Callable[[list[Token]], str]] = {
            "SELECT": lambda a: self.do_select(a, False),
            "EXAMINE": lambda a: self.do_select(a, True),
            "CREATE": self.do_create,
            "DELETE": self.do_delete,
            "RENAME": self.do_rename,
            "SUBSCRIBE": self.do_subscribe,
            "UNSUBSCRIBE": self.do_subscribe,
            "LIST": lambda a: self.do_list(a, "LIST"),
            "LSUB": lambda a: self.do_list(a, "LSUB"),
            "STATUS": self.do_status,
            "APPEND": self.do_append,
            "NAMESPACE": self.do_namespace,
            "IDLE": lambda a: self.do_idle(tag),
        }
        selected: dict[str, Callable[[list[Token]], str]] = {
            "CHECK": self.do_noop,
            "CLOSE": self.do_close,
            "UNSELECT": self.do_unselect,
            "EXPUNGE": lambda a: self.do_expunge(a, False),
            "SEARCH": lambda a: self.do_search(a, False),
            "FETCH": lambda a: self.do_fetch(a, False),
            "STORE": lambda a: self.do_store(a, False),
            "COPY": lambda a: self.do_copy(a, False, False),
            "MOVE": lambda a: self.do_copy(a, False, True),
            "UID": self.do_uid,
        }
        if name in anywhere:
            return anywhere[name](args)
        if name in before:
            if self.user is not None:
                raise BadCommand("deja authentifie")
            return before[name](args)
        if name in after or name in selected:
            if self.user is None:
                raise BadCommand("authentifiez-vous d'abord (LOGIN)")
            if name in after:
                return after[name](args)
            if self.selected is None:
                raise BadCommand("selectionnez d'abord un dossier (SELECT)")
            if name != "UID":
                self.sync(expunge=name not in NOT_ALLOWED_IN_FETCH)
            return selected[name](args)
        raise BadCommand(f"commande inconnue : {name}")

    # --- any state ---------------------------------------------------------------------

    def do_capability(self, args: list[Token]) -> str:
        self.untagged(f"CAPABILITY {self.capabilities()}")
        return "CAPABILITY termine"

    def do_noop(self, args: list[Token]) -> str:
        if self.selected is not None:
            self.sync(expunge=True)
        return "NOOP termine"

    def do_logout(self, args: list[Token]) -> str:
        self.untagged("BYE Au revoir")
        return "LOGOUT termine"

    # --- not authenticated -------------------------------------------------------------

    def do_starttls(self, args: list[Token]) -> str:
        if self.tls:
            raise BadCommand("TLS deja actif")
        if self.reader.buffer:
            raise BadCommand("donnees recues avant la negociation TLS")
        return STARTTLS

    def start_tls(self, tag: str) -> None:
        self.sock.sendall(f"{tag} OK Demarrez la negociation TLS\r\n".encode())
        try:
            self.sock = self.tls_context.wrap_socket(self.sock, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.warning("IMAP STARTTLS failed from %s: %s", self.peer, exc)
            raise Closed() from None
        self.reader = Reader(self.sock)
        self.tls = True

    def check_plaintext(self) -> None:
        if not (self.tls or self.loopback):
            raise No("[PRIVACYREQUIRED] Connexion non chiffree : utilisez STARTTLS")

    def do_login(self, args: list[Token]) -> str:
        self.check_plaintext()
        if len(args) != 2:
            raise BadCommand("LOGIN identifiant motdepasse")
        return self.login(wire.text(args[0]), wire.text(args[1]))

    def do_authenticate(self, args: list[Token]) -> str:
        self.check_plaintext()
        if not args:
            raise BadCommand("mecanisme manquant")
        mechanism = wire.text(args[0]).upper()
        if mechanism == "PLAIN":
            blob = self.challenge("") if len(args) < 2 else self._b64(wire.text(args[1]))
            pieces = blob.split(b"\x00")
            if len(pieces) != 3:
                raise BadCommand("donnees d'authentification illisibles")
            return self.login(
                pieces[1].decode("utf-8", "replace"), pieces[2].decode("utf-8", "replace")
            )
        if mechanism == "LOGIN":
            login = self.challenge("VXNlcm5hbWU6")
            password = self.challenge("UGFzc3dvcmQ6")
            return self.login(login.decode("utf-8", "replace"), password.decode("utf-8", "replace"))
        raise No(f"mecanisme {mechanism} non pris en charge (PLAIN, LOGIN)")

    def _b64(self, value: str) -> bytes:
        if value == "=":
            return b""
        try:
            return base64.b64decode(value.encode(), validate=True)
        except (binascii.Error, ValueError):
            raise BadCommand("base64 illisible") from None

    def challenge(self, prompt: str) -> bytes:
        self.send(f"+ {prompt}\r\n".encode())
        self.flush()
        answer = self.reader.readline().strip().decode("ascii", "replace")
        if answer == "*":
            raise BadCommand("authentification abandonnee")
        return self._b64(answer)

    def login(self, login: str, password: str) -> str:
        verdict = auth.authenticate(login, password, self.peer)
        if verdict.user is None or verdict.mailbox is None:
            raise No(verdict.text)
        self.user, self.mailbox = verdict.user, verdict.mailbox
        shared = self.mailbox.user_id != self.user.pk
        self.ctx = Context(
            user=self.user,
            acting_as=self.mailbox if shared else None,
            ip=self.peer,
            channel="imap",
        )
        with transaction.atomic():
            audit_shared(self.ctx, self.mailbox, AuditAction.MAIL_IMAP_LOGIN, None)
        return f"[CAPABILITY {self.capabilities()}] Connecte a {self.mailbox.email}"

    # --- authenticated -----------------------------------------------------------------

    def folder(self, token: Token) -> names.Entry:
        assert self.mailbox is not None
        try:
            name = names.decode(wire.text(token))
        except (ValueError, UnicodeDecodeError):
            raise BadCommand("nom de dossier mal encode") from None
        entry = names.find(self.mailbox.pk, name)
        if entry is None:
            raise No("[TRYCREATE] Dossier introuvable")
        return entry

    def do_select(self, args: list[Token], readonly: bool) -> str:
        if not args:
            raise BadCommand("dossier manquant")
        self.selected = None
        entry = self.folder(args[0])
        self.selected, self.readonly = entry, readonly
        self.uids, self.rows = [], {}
        self.sync(expunge=False, announce=False)
        self.untagged(f"FLAGS {SYSTEM_FLAGS}")
        self.untagged(f"OK [PERMANENTFLAGS {'()' if readonly else PERMANENT}] Etats conserves")
        self.untagged(f"{len(self.uids)} EXISTS")
        self.untagged("0 RECENT")
        unseen = next((n for n, u in enumerate(self.uids, 1) if not self.rows[u].seen), None)
        if unseen is not None:
            self.untagged(f"OK [UNSEEN {unseen}] Premier message non lu")
        self.untagged(f"OK [UIDVALIDITY {self.validity}] UIDs valides")
        self.untagged(f"OK [UIDNEXT {self.uid_next}] UID suivant")
        mode = "READ-ONLY" if readonly else "READ-WRITE"
        return f"[{mode}] {'EXAMINE' if readonly else 'SELECT'} termine"

    def do_create(self, args: list[Token]) -> str:
        assert self.ctx is not None and self.mailbox is not None
        if not args:
            raise BadCommand("nom manquant")
        name = names.decode(wire.text(args[0])).rstrip(names.DELIMITER)
        if names.find(self.mailbox.pk, name) is not None:
            raise No("[ALREADYEXISTS] Ce dossier existe deja")
        space, local = names.split(name)
        create_folder(self.ctx, self.mailbox, space, local)
        return "CREATE termine"

    def _user_folder(self, entry: names.Entry) -> int:
        if not entry.folder.startswith("f"):
            raise No("[CANNOT] Un dossier du systeme ne se supprime ni ne se renomme")
        return int(entry.folder[1:])

    def do_delete(self, args: list[Token]) -> str:
        assert self.ctx is not None and self.mailbox is not None
        if not args:
            raise BadCommand("nom manquant")
        entry = self.folder(args[0])
        delete_folder(self.ctx, self.mailbox, self._user_folder(entry))
        if self.selected == entry:
            self.selected = None
        return "DELETE termine (ses messages sont dans Messages supprimes)"

    def do_rename(self, args: list[Token]) -> str:
        assert self.ctx is not None and self.mailbox is not None
        if len(args) != 2:
            raise BadCommand("RENAME ancien nouveau")
        entry = self.folder(args[0])
        space, local = names.split(names.decode(wire.text(args[1])))
        if space != entry.space:
            raise No("[CANNOT] Un dossier ne change pas d'espace (Prof. Sante, Patient)")
        rename_folder(self.ctx, self.mailbox, self._user_folder(entry), local)
        return "RENAME termine"

    def do_subscribe(self, args: list[Token]) -> str:
        if not args:
            raise BadCommand("nom manquant")
        self.folder(args[0])
        return "Tous les dossiers sont toujours abonnes"

    def do_namespace(self, args: list[Token]) -> str:
        self.untagged('NAMESPACE (("" "/")) NIL NIL')
        return "NAMESPACE termine"

    def do_list(self, args: list[Token], verb: str) -> str:
        assert self.mailbox is not None
        special_only = False
        if args and isinstance(args[0], list):  # LIST (SPECIAL-USE) "" "*"
            special_only = any(wire.text(t).upper() == "SPECIAL-USE" for t in args[0])
            args = args[1:]
        if len(args) < 2:
            raise BadCommand(f"{verb} reference motif")
        reference, pattern = wire.text(args[0]), wire.text(args[1])
        if not pattern:
            self.untagged('LIST (\\Noselect) "/" ""')
            return f"{verb} termine"
        regex = re.compile(
            "^"
            + "".join(
                ".*" if c == "*" else "[^/]*" if c == "%" else re.escape(c)
                for c in reference + pattern
            )
            + "$",
            re.IGNORECASE if (reference + pattern).upper().startswith("INBOX") else 0,
        )
        entries = names.entries(self.mailbox.pk)
        parents = {e.name.rsplit("/", 1)[0] for e in entries if "/" in e.name}
        for entry in entries:
            encoded = names.encode(entry.name)
            if not regex.match(encoded) or (special_only and not entry.attributes):
                continue
            attributes = list(entry.attributes)
            attributes.append("\\HasChildren" if entry.name in parents else "\\HasNoChildren")
            self.untagged(f'{verb} ({" ".join(attributes)}) "/" '.encode() + wire.quote(encoded))
        return f"{verb} termine"

    def do_status(self, args: list[Token]) -> str:
        assert self.mailbox is not None
        if len(args) != 2 or not isinstance(args[1], list):
            raise BadCommand("STATUS dossier (elements)")
        entry = self.folder(args[0])
        state = uids.assign(self.mailbox.pk, entry.space, entry.folder)
        rows = Message.objects.filter(mailbox=self.mailbox, space=entry.space, folder=entry.folder)
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
        self.untagged(
            b"STATUS " + wire.quote(names.encode(entry.name)) + f" ({' '.join(values)})".encode()
        )
        return "STATUS termine"

    def do_append(self, args: list[Token]) -> str:
        assert self.ctx is not None and self.mailbox is not None
        if len(args) < 2 or not isinstance(args[-1], bytes):
            raise BadCommand("APPEND dossier [(etats)] [date] {taille}")
        entry = self.folder(args[0])
        data = args[-1]
        if len(data) > settings.SMTP_MAX_BYTES:
            raise No("[TOOBIG] Message trop volumineux")
        states: dict[str, bool] = {}
        received: dt.datetime | None = None
        for extra in args[1:-1]:
            if isinstance(extra, list):
                states = {
                    FLAG_COLUMNS[f]: True
                    for f in (self._flag(t) for t in extra)
                    if f in FLAG_COLUMNS
                }
            else:
                received = parse_internaldate(wire.text(extra))
        row = imap_actions.append_message(
            self.ctx, self.mailbox, entry.space, entry.folder, data, states, received
        )
        state = uids.assign(self.mailbox.pk, entry.space, entry.folder)
        uid = Message.objects.values_list("imap_uid", flat=True).get(pk=row.pk)
        if self.selected == entry:
            self.sync(expunge=False)
        return f"[APPENDUID {state.pk} {uid}] APPEND termine"

    def do_idle(self, tag: str) -> str:
        self.send(b"+ En attente\r\n")
        self.flush()
        deadline = time.monotonic() + settings.IMAP_IDLE_TIMEOUT
        while time.monotonic() < deadline:
            if self.reader.ready(settings.IMAP_IDLE_POLL_SECONDS):
                line = self.reader.readline().strip().upper()
                if line != b"DONE":
                    raise BadCommand("DONE attendu pour terminer IDLE")
                return "IDLE termine"
            close_old_connections()
            assert self.user is not None and self.mailbox is not None
            if not auth.still_allowed(self.user, self.mailbox):
                self.untagged("BYE [UNAVAILABLE] Compte desactive ou acces a la boite retire")
                self.flush()
                raise Closed()
            if self.selected is not None:
                self.sync(expunge=True)
                self.flush()
        self.untagged("BYE Inactivite trop longue")
        self.flush()
        raise Closed()

    # --- selected ----------------------------------------------------------------------

    def sync(self, *, expunge: bool, announce: bool = True) -> None:
        """Read the folder again; tell the client what changed (EXPUNGE only when allowed)."""
        assert self.mailbox is not None and self.selected is not None
        entry = self.selected
        state = uids.assign(self.mailbox.pk, entry.space, entry.folder)
        self.validity, self.uid_next = state.pk, state.uid_next
        fresh = {
            r[1]: Row(*r)
            for r in Message.objects.filter(
                mailbox=self.mailbox, space=entry.space, folder=entry.folder
            )
            .order_by("imap_uid")
            .values_list(
                "id",
                "imap_uid",
                "seen",
                "flagged",
                "answered",
                "deleted_mark",
                "size",
                "received_at",
                "path",
                "date",
            )
        }
        draft = entry.folder == SystemFolder.DRAFTS
        if expunge:
            for n in range(len(self.uids), 0, -1):
                if self.uids[n - 1] not in fresh:
                    del self.uids[n - 1]
                    if announce:
                        self.untagged(f"{n} EXPUNGE")
        known = set(self.uids)
        if announce:
            for n, uid in enumerate(self.uids, 1):
                old, new = self.rows.get(uid), fresh.get(uid)
                if old is not None and new is not None and old.flags(draft) != new.flags(draft):
                    self.untagged(f"{n} FETCH (UID {uid} FLAGS ({' '.join(new.flags(draft))}))")
        added = [u for u in fresh if u not in known and u > (self.uids[-1] if self.uids else 0)]
        self.uids.extend(added)
        self.rows = fresh
        if added and announce:
            self.untagged(f"{len(self.uids)} EXISTS")

    def do_uid(self, args: list[Token]) -> str:
        if not args:
            raise BadCommand("UID commande")
        name = wire.text(args[0]).upper()
        rest = args[1:]
        self.sync(expunge=True)
        if name == "FETCH":
            return self.do_fetch(rest, True)
        if name == "STORE":
            return self.do_store(rest, True)
        if name == "SEARCH":
            return self.do_search(rest, True)
        if name == "COPY":
            return self.do_copy(rest, True, False)
        if name == "MOVE":
            return self.do_copy(rest, True, True)
        if name == "EXPUNGE":
            return self.do_expunge(rest, True)
        raise BadCommand(f"UID {name} inconnu")

    def targets(self, token: Token, by_uid: bool) -> list[tuple[int, int]]:
        """(sequence number, UID) of the live messages a set names, in order."""
        value = wire.text(token)
        found: list[tuple[int, int]] = []
        if by_uid:
            largest = self.uids[-1] if self.uids else 0
            ranges = wire.parse_set(value, largest)
            for n, uid in enumerate(self.uids, 1):
                if uid in self.rows and wire.in_set(uid, ranges):
                    found.append((n, uid))
            return found
        ranges = wire.parse_set(value, len(self.uids))
        if any(b > len(self.uids) or a < 1 for a, b in ranges):
            raise BadCommand("numero de message hors du dossier")
        for n, uid in enumerate(self.uids, 1):
            if uid in self.rows and wire.in_set(n, ranges):
                found.append((n, uid))
        return found

    def do_close(self, args: list[Token]) -> str:
        assert self.ctx is not None and self.mailbox is not None and self.selected is not None
        if not self.readonly:
            imap_actions.expunge(self.ctx, self.mailbox, self.selected.space, self.selected.folder)
        self.selected = None
        return "CLOSE termine"

    def do_unselect(self, args: list[Token]) -> str:
        self.selected = None
        return "UNSELECT termine"

    def writable(self) -> None:
        if self.readonly:
            raise No("[READ-ONLY] Dossier ouvert en lecture seule (EXAMINE)")

    def do_expunge(self, args: list[Token], by_uid: bool) -> str:
        assert self.ctx is not None and self.mailbox is not None and self.selected is not None
        self.writable()
        only = None
        if by_uid:
            if not args:
                raise BadCommand("UID EXPUNGE ensemble")
            only = [uid for _, uid in self.targets(args[0], True)]
        imap_actions.expunge(
            self.ctx, self.mailbox, self.selected.space, self.selected.folder, only
        )
        self.sync(expunge=True)
        return "EXPUNGE termine"

    def do_search(self, args: list[Token], by_uid: bool) -> str:
        if self.selected is None:
            raise BadCommand("aucun dossier")
        largest_uid = self.uids[-1] if self.uids else 0
        test = search.compile_keys(args, len(self.uids), largest_uid)
        hits = [
            str(uid if by_uid else n)
            for n, uid in enumerate(self.uids, 1)
            if uid in self.rows and test(n, self.rows[uid])
        ]
        self.untagged("SEARCH" + "".join(" " + h for h in hits))
        return "SEARCH termine"

    def _flag(self, token: Token) -> str:
        value = wire.text(token)
        for known in FLAG_COLUMNS:
            if value.lower() == known.lower():
                return known
        return value

    def do_store(self, args: list[Token], by_uid: bool) -> str:
        assert self.ctx is not None and self.mailbox is not None and self.selected is not None
        self.writable()
        if len(args) != 3:
            raise BadCommand("STORE ensemble [+-]FLAGS (etats)")
        targets = self.targets(args[0], by_uid)
        mode = wire.text(args[1]).upper()
        silent = mode.endswith(".SILENT")
        mode = mode.removesuffix(".SILENT")
        flags_token = args[2]
        given = flags_token if isinstance(flags_token, list) else [flags_token]
        flags = {self._flag(t) for t in given}
        columns = {FLAG_COLUMNS[f] for f in flags if f in FLAG_COLUMNS}
        if mode == "FLAGS":
            changes = {c: c in columns for c in FLAG_COLUMNS.values()}
        elif mode == "+FLAGS":
            changes = dict.fromkeys(columns, True)
        elif mode == "-FLAGS":
            changes = dict.fromkeys(columns, False)
        else:
            raise BadCommand(f"STORE {mode} inconnu (FLAGS, +FLAGS, -FLAGS)")
        ids = [self.rows[uid].id for _, uid in targets]
        if ids and changes:
            set_flags(self.ctx, self.mailbox, ids, changes)
        draft = self.selected.folder == SystemFolder.DRAFTS
        for n, uid in targets:
            row = self.rows[uid]
            for column, value in changes.items():
                setattr(row, "deleted" if column == "deleted_mark" else column, value)
            if not silent:
                flag_text = " ".join(row.flags(draft))
                prefix = f"UID {uid} " if by_uid else ""
                self.untagged(f"{n} FETCH ({prefix}FLAGS ({flag_text}))")
        return "STORE termine"

    def do_copy(self, args: list[Token], by_uid: bool, move: bool) -> str:
        assert self.ctx is not None and self.mailbox is not None and self.selected is not None
        if len(args) != 2:
            raise BadCommand("COPY ensemble dossier")
        targets = self.targets(args[0], by_uid)
        destination = self.folder(args[1])
        if destination.space != self.selected.space:
            raise No(
                "[CANNOT] Un message ne passe pas d'un espace a l'autre (Prof. Sante, Patient)"
            )
        if not targets:
            return f"{'MOVE' if move else 'COPY'} termine (aucun message)"
        source_ids = [self.rows[uid].id for _, uid in targets]
        if move:
            self.writable()
            move_messages(self.ctx, self.mailbox, source_ids, destination.folder)
            new_ids = source_ids
        else:
            new_ids = imap_actions.copy_messages(
                self.ctx, self.mailbox, source_ids, destination.space, destination.folder
            )
        state = uids.assign(self.mailbox.pk, destination.space, destination.folder)
        given = dict(Message.objects.filter(pk__in=new_ids).values_list("pk", "imap_uid"))
        code = (
            f"COPYUID {state.pk} {','.join(str(uid) for _, uid in targets)} "
            f"{','.join(str(given[i]) for i in new_ids)}"
        )
        if move:
            self.untagged(f"OK [{code}] Messages deplaces")
            self.sync(expunge=True)
            return "MOVE termine"
        return f"[{code}] COPY termine"

    # --- FETCH -------------------------------------------------------------------------

    def do_fetch(self, args: list[Token], by_uid: bool) -> str:
        assert self.selected is not None and self.ctx is not None and self.mailbox is not None
        if len(args) != 2:
            raise BadCommand("FETCH ensemble elements")
        targets = self.targets(args[0], by_uid)
        items = fetch_items(args[1])
        if by_uid and "UID" not in items:
            items.insert(0, "UID")
        marks: list[int] = []
        audited: list[int] = []
        for n, uid in targets:
            row = self.rows[uid]
            data, sets_seen, reads_body = self.fetch_one(row, items)
            if sets_seen and not row.seen and not self.readonly:
                marks.append(row.id)
                row.seen = True
                if "FLAGS" not in items:  # the client is told of the \Seen it caused
                    data.append(self.flags_item(row))
            if reads_body:
                audited.append(row.id)
            self.send(f"* {n} FETCH (".encode() + b" ".join(data) + b")\r\n")
            if len(self.out) >= 200:
                self.flush()
        if marks:
            set_flags(self.ctx, self.mailbox, marks, {"seen": True})
        for message_row in Message.objects.filter(pk__in=audited):
            with transaction.atomic():
                audit_shared(
                    self.ctx,
                    self.mailbox,
                    AuditAction.MAIL_READ,
                    message_row,
                    message_id=message_row.message_id,
                )
        return "FETCH termine"

    def flags_item(self, row: Row) -> bytes:
        assert self.selected is not None
        draft = self.selected.folder == SystemFolder.DRAFTS
        return f"FLAGS ({' '.join(row.flags(draft))})".encode()

    def fetch_one(self, row: Row, items: list[str]) -> tuple[list[bytes], bool, bool]:
        """The FETCH data of one message; whether it sets \\Seen and reads the body."""
        loaded: list[bytes] = []

        def message() -> bytes:
            if not loaded:
                try:
                    loaded.append(store.read(row.path))
                except (OSError, ValueError):
                    loaded.append(b"")
            return loaded[0]

        out: list[bytes] = []
        sets_seen = reads_body = False
        for item in items:
            if item == "FLAGS":
                continue  # written last, after a \Seen this FETCH sets
            if item in METADATA:
                out.append(METADATA[item](row))
            elif item == "ENVELOPE":
                out.append(b"ENVELOPE " + parts.envelope(parts.parse(message())))
            elif item in ("BODYSTRUCTURE", "BODY"):
                structure = parts.bodystructure(parts.parse(message()), item == "BODYSTRUCTURE")
                out.append(item.encode() + b" " + structure)
            elif item in RFC822:
                data = parts.section(message(), RFC822[item], []) or b""
                out.append(item.encode() + b" " + b"{%d}\r\n" % len(data) + data)
                sets_seen = reads_body = reads_body or item != "RFC822.HEADER"
            else:
                chunk, peek, body = self.section_item(item, message)
                out.append(chunk)
                sets_seen = sets_seen or not peek
                reads_body = reads_body or body
        if "FLAGS" in items:
            out.append(self.flags_item(row))
        return out, sets_seen, reads_body

    def section_item(self, item: str, message: Callable[[], bytes]) -> tuple[bytes, bool, bool]:
        """(response bytes, is a PEEK, reads the body) of BODY[...]<...>."""
        match = SECTION.match(item)
        if match is None:
            raise BadCommand(f"element de FETCH inconnu : {item}")
        verb, spec, start, length = match.groups()
        peek = verb.endswith(".PEEK")
        spec = spec.strip()
        field_names: list[str] = []
        if "(" in spec:
            spec, _, listed = spec.partition("(")
            field_names = listed.rstrip(")").split()
            spec = spec.strip()
        data = parts.section(message(), spec.upper(), field_names) or b""
        label = f"BODY[{match.group(2)}]"
        if start is not None:
            offset = int(start)
            data = data[offset : offset + int(length)] if length else data[offset:]
            label += f"<{offset}>"
        body = not spec.upper().endswith(("HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "MIME"))
        return label.encode() + b" {%d}\r\n" % len(data) + data, peek, body


SECTION = re.compile(r"^(BODY(?:\.PEEK)?)\[([^\]]*)\](?:<(\d+)(?:\.(\d+))?>)?$", re.IGNORECASE)
MACROS = {
    "ALL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
    "FAST": ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
    "FULL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
}
METADATA: dict[str, Callable[[Row], bytes]] = {
    "UID": lambda row: f"UID {row.uid}".encode(),
    "RFC822.SIZE": lambda row: f"RFC822.SIZE {row.size}".encode(),
    "INTERNALDATE": lambda row: b"INTERNALDATE " + wire.quote(internaldate(row.received_at)),
}
RFC822 = {"RFC822": "", "RFC822.TEXT": "TEXT", "RFC822.HEADER": "HEADER"}
SIMPLE = {
    "UID",
    "FLAGS",
    "RFC822.SIZE",
    "INTERNALDATE",
    "ENVELOPE",
    "BODYSTRUCTURE",
    "BODY",
    "RFC822",
    "RFC822.HEADER",
    "RFC822.TEXT",
}


def fetch_items(token: Token) -> list[str]:
    given = token if isinstance(token, list) else [token]
    items: list[str] = []
    for part in given:
        value = wire.text(part)
        upper = value.upper()
        if upper in MACROS and not isinstance(token, list):
            items += MACROS[upper]
        elif upper in SIMPLE:
            items.append(upper)
        elif SECTION.match(value):
            verb, _, rest = value.partition("[")
            items.append(verb.upper() + "[" + rest.upper())
        else:
            raise BadCommand(f"element de FETCH inconnu : {value}")
    return items


def internaldate(when: dt.datetime) -> str:
    local = timezone.localtime(when)
    month = search.MONTHS[local.month - 1].capitalize()
    return f"{local.day:02d}-{month}-{local.year} {local:%H:%M:%S %z}"


def parse_internaldate(value: str) -> dt.datetime:
    try:
        day_part, time_part, zone = value.strip().split()
        day = search.parse_date(day_part)
        hours, minutes, seconds = (int(x) for x in time_part.split(":"))
        sign = -1 if zone.startswith("-") else 1
        offset = dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])) * sign
        return dt.datetime(
            day.year, day.month, day.day, hours, minutes, seconds, tzinfo=dt.timezone(offset)
        )
    except (ValueError, IndexError):
        raise BadCommand(f"date illisible : {value}") from None
