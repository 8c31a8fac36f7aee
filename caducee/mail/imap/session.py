"""One IMAP4rev1 session (RFC 3501, with LITERAL+, IDLE, UIDPLUS, MOVE, NAMESPACE,
UNSELECT, CHILDREN and SPECIAL-USE) over a connected socket, in its own thread.

Everything is read from the database and the mail store at each command, and every change
goes through the mail operations (`folders.move_messages`, `folders.set_flags`,
`imap_actions`, …), the webmail's own: the two views cannot disagree. Before each command
the person's account and their right to the mailbox are checked again: a deactivated
account or a removed connection link ends the session at once.

This module holds the session's state, its reading and dispatching of commands, the
commands before and around authentication, IDLE and the folder's resynchronisation; the
folder commands are in folder_commands.py, those on the selected folder's messages in
message_commands.py (FETCH's items in fetching.py).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import socket
import ssl
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connection, transaction

from caducee.accounts.models import Account
from caducee.audit.actions import AuditAction
from caducee.core.context import Context
from caducee.core.errors import Forbidden, Invalid, NotFound
from caducee.mail import uids
from caducee.mail.access import audit_shared
from caducee.mail.imap import auth, names, wire
from caducee.mail.imap import folder_commands as folders
from caducee.mail.imap import message_commands as messages
from caducee.mail.imap.connection import Closed, No, Reader, ascii_text
from caducee.mail.imap.search import Row
from caducee.mail.imap.wire import Atom, BadCommand, Token
from caducee.mail.models import Message, SystemFolder
from caducee.people.models import User

log = logging.getLogger("caducee.mail.imap")

NOT_ALLOWED_IN_FETCH = {"FETCH", "STORE", "SEARCH"}  # no EXPUNGE while they answer (§7.4.1)


STARTTLS = "STARTTLS"  # do_starttls's answer: the tagged OK is written by start_tls


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
            "SELECT": lambda a: folders.select(self, a, False),
            "EXAMINE": lambda a: folders.select(self, a, True),
            "CREATE": lambda a: folders.create(self, a),
            "DELETE": lambda a: folders.delete(self, a),
            "RENAME": lambda a: folders.rename(self, a),
            "SUBSCRIBE": lambda a: folders.subscribe(self, a),
            "UNSUBSCRIBE": lambda a: folders.subscribe(self, a),
            "LIST": lambda a: folders.list_folders(self, a, "LIST"),
            "LSUB": lambda a: folders.list_folders(self, a, "LSUB"),
            "STATUS": lambda a: folders.status(self, a),
            "APPEND": lambda a: folders.append(self, a),
            "NAMESPACE": lambda a: folders.namespace(self, a),
            "IDLE": lambda a: self.do_idle(tag),
        }
        selected: dict[str, Callable[[list[Token]], str]] = {
            "CHECK": self.do_noop,
            "CLOSE": lambda a: messages.close(self, a),
            "UNSELECT": lambda a: messages.unselect(self, a),
            "EXPUNGE": lambda a: messages.expunge(self, a, False),
            "SEARCH": lambda a: messages.search_messages(self, a, False),
            "FETCH": lambda a: messages.fetch(self, a, False),
            "STORE": lambda a: messages.store(self, a, False),
            "COPY": lambda a: messages.copy(self, a, False, False),
            "MOVE": lambda a: messages.copy(self, a, False, True),
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
            return messages.fetch(self, rest, True)
        if name == "STORE":
            return messages.store(self, rest, True)
        if name == "SEARCH":
            return messages.search_messages(self, rest, True)
        if name == "COPY":
            return messages.copy(self, rest, True, False)
        if name == "MOVE":
            return messages.copy(self, rest, True, True)
        if name == "EXPUNGE":
            return messages.expunge(self, rest, True)
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
