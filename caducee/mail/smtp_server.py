"""SMTP services on aiosmtpd: the inbound MTA (port 25 role) and authenticated submission.

Protocol code is thin: every decision is a plain synchronous function below
(`inbound_rcpt`, `submission_mail_from`, …) tested without sockets; the handlers call them
in a worker thread and answer with their result. 250 after DATA is sent only once the
message file is fsync'd and its row committed.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
import unicodedata
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from email._header_value_parser import AddrSpec, AngleAddr, get_addr_spec, get_angle_addr
from email.errors import HeaderParseError
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import (
    SMTP,
    AuthResult,
    Envelope,
    LoginPassword,
    Session,
    TLSSetupException,
)
from django.conf import settings
from django.db import close_old_connections, connection

from caducee.accounts.models import Account
from caducee.core.context import Context
from caducee.core.errors import OperationError
from caducee.identity.mailboxes import openable
from caducee.mail import addresses, dedupe, mime, operations, smtp_auth, smtp_limits, tls, trust
from caducee.mail.models import Message
from caducee.monitoring import metrics
from caducee.people.models import User

log = logging.getLogger("caducee.mail.smtp")

OK = "250 2.1.5 Destinataire accepté"
UNKNOWN_USER = "550 5.1.1 Destinataire inconnu sur ce serveur"
RELAY_DENIED = "550 5.7.1 Relais refusé : ce serveur ne reçoit que pour ses propres domaines"
NOT_MSSANTE = "550 5.7.1 Destinataire hors de l'espace de confiance MSSanté"
SENDER_DENIED = "553 5.7.1 Vous ne pouvez pas envoyer avec cette adresse d'expéditeur"
BAD_ADDRESS = "501 5.1.3 Adresse invalide"
TEMP_FAILURE = "451 4.3.0 Erreur temporaire, réessayez plus tard"


# --- decisions (no sockets) -----------------------------------------------------------


def received_header(session: Session, recipient: str = "") -> bytes:
    """The RFC 5321 trace line prepended to each message this server accepts."""
    from email.utils import format_datetime

    from django.utils import timezone

    peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer or "")
    helo = (session.host_name or "inconnu").replace("\r", "").replace("\n", "")[:100]
    protocol = "ESMTPS" if session.ssl is not None else "ESMTP"
    if session.authenticated:
        protocol += "A"
    line = (
        f"Received: from {helo} ([{peer}])\r\n\tby {settings.SMTP_HOSTNAME} (Caducee) "
        f"with {protocol}{f' for <{recipient}>' if recipient else ''};\r\n"
        f"\t{format_datetime(timezone.now())}\r\n"
    )
    return line.encode("ascii", "replace")


def inbound_rcpt(address: str) -> tuple[str, tuple[int, str] | None]:
    """From another server: only MSSanté addresses of this platform's domains.

    Returns the answer and, when accepted, the mailbox (id, type)."""
    normal = addresses.normalise(address)
    if not normal:
        return BAD_ADDRESS, None
    mailbox = addresses.inbound_mailbox(normal)
    if mailbox is not None:
        return OK, mailbox
    if not addresses.is_platform_domain(addresses.domain_of(normal)):
        return RELAY_DENIED, None
    return UNKNOWN_USER, None


def inbound_mail_from(peer: trust.Peer, address: str) -> str:
    """From another server: TLS, a trusted operator certificate, a whitelisted sender."""
    refusal = trust.check_sender(peer, addresses.normalise(address) if address else "")
    return refusal or "250 2.1.0 Expéditeur accepté"


def inbound_checked_data(peer: trust.Peer, data: bytes, mailboxes: list[tuple[int, str]]) -> str:
    """The `From:` / `Sender:` headers checked (`trust.check_headers`), then stored."""
    refusal = trust.check_headers(peer, data)
    return refusal or inbound_data(data, mailboxes)


def inbound_data(data: bytes, mailboxes: list[tuple[int, str]]) -> str:
    """Store one received message for these mailboxes (id, type); 250 once durable."""
    parsed = mime.summary(data)
    # A retry of a message already stored (its session was cut before our 250) is answered
    # as the first time, and not stored again.
    mailboxes = dedupe.not_yet_received(mailboxes, parsed.message_id)
    if mailboxes:
        rows = [operations.prepare_message(pk, data, parsed=parsed) for pk, _ in mailboxes]
        _committer.submit(rows, {pk for pk, kind in mailboxes if kind == "ORG"})
    return "250 2.0.0 Message enregistré"


@dataclass
class _Job:
    rows: list[Message]
    notify: set[int]  # ORG mailboxes whose connection accounts may want a notification
    done: Future[None] = field(default_factory=Future)


class GroupCommit:
    """One thread commits the rows of all messages waiting at that moment in a single
    transaction: the file of each is already fsync'd; each sender gets 250 only after the
    transaction holding its rows has committed."""

    def __init__(self, max_batch: int = 64) -> None:
        self.max_batch = max_batch
        self.pending: queue.Queue[_Job | Future[None]] = queue.Queue()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def _ensure_thread(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="caducee-commit", daemon=True)
                self.thread.start()

    def submit(self, rows: list[Message], notify: set[int]) -> None:
        self._ensure_thread()
        job = _Job(rows, notify)
        self.pending.put(job)
        job.done.result(timeout=120)

    def release(self) -> None:
        """Let the committing thread close its database connection."""
        if self.thread is not None and self.thread.is_alive():
            closed: Future[None] = Future()
            self.pending.put(closed)
            closed.result(timeout=10)

    def _run(self) -> None:
        while True:
            first = self.pending.get()
            if isinstance(first, Future):
                connection.close()
                first.set_result(None)
                continue
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    item = self.pending.get_nowait()
                except queue.Empty:
                    break
                if isinstance(item, Future):
                    self.pending.put(item)
                    break
                batch.append(item)
            try:
                operations.commit_inbound(
                    [row for job in batch for row in job.rows],
                    set().union(*(job.notify for job in batch)),
                )
            except Exception as exc:  # every waiting sender gets a 451
                connection.close()
                for job in batch:
                    job.done.set_exception(exc)
            else:
                for job in batch:
                    job.done.set_result(None)


_committer = GroupCommit()


def submission_mail_from(user: User, address: str) -> tuple[str, Account | None]:
    """The sender must be a mailbox the person may send as (own or linked ORG/APP)."""
    if smtp_auth.is_deactivated(user):  # deactivated after this session's AUTH
        return smtp_auth.SENDING_DEACTIVATED, None
    normal = addresses.normalise(address)
    if not normal:
        return BAD_ADDRESS, None
    mailbox = addresses.may_send_as(openable(user), normal)
    if mailbox is None:
        return SENDER_DENIED, None
    return "250 2.1.0 Expéditeur accepté", mailbox


def submission_rcpt(mailbox: Account, address: str) -> str:
    try:
        addresses.check_recipients(mailbox, [address])
    except OperationError as exc:
        if "n'est pas une adresse" in exc.message:
            return BAD_ADDRESS
        if "aucune boîte" in exc.message:
            return UNKNOWN_USER
        return NOT_MSSANTE
    return OK


def submission_data(user: User, mailbox: Account, rcpts: list[str], data: bytes) -> str:
    ctx = Context(user=user, acting_as=mailbox, channel="smtp")
    try:
        result = operations.submit_raw(ctx, mailbox, rcpts, data)
    except OperationError as exc:
        return f"550 5.7.1 {exc.message}"
    return f"250 2.0.0 Message accepté ({result.sent.pk})"


# --- aiosmtpd handlers ----------------------------------------------------------------


def ascii_reply(answer: str) -> str:
    """SMTP replies are ASCII (RFC 5321 §4.2): French text without its accents."""
    decomposed = unicodedata.normalize("NFKD", answer)
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return text.encode("ascii", "replace").decode("ascii").replace("\r", " ").replace("\n", " ")


_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="caducee-smtp")


def release_connections() -> None:
    """Close the database connection held by each SMTP worker thread (tests, shutdown)."""
    import threading

    from django.db import connections

    workers = _pool._max_workers
    barrier = threading.Barrier(workers)

    def close() -> None:
        connections.close_all()
        try:
            barrier.wait(timeout=5)
        except threading.BrokenBarrierError:
            return

    for future in [_pool.submit(close) for _ in range(workers)]:
        future.result(timeout=10)
    _committer.release()


def _call(fn: Any, *args: Any) -> Any:
    """Run in a worker thread, keeping its database connection between messages."""
    try:
        return fn(*args)
    except Exception:
        close_old_connections()
        connection.close()  # the next call starts from a fresh connection
        raise


async def _in_thread(fn: Any, *args: Any) -> Any:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool, _call, fn, *args)


@dataclass
class _State:
    user: User | None = None
    mailbox: Account | None = None
    mailboxes: list[tuple[int, str]] = field(default_factory=list)


def _state(envelope: Envelope) -> _State:
    state = getattr(envelope, "caducee", None)
    if state is None:
        state = _State()
        envelope.caducee = state  # type: ignore[attr-defined]
    return state


class RcptCache:
    """RCPT answers remembered for a few seconds (as Postfix's proxymap does): a busy
    mailbox is looked up once per TTL instead of once per message. A mailbox deactivated
    or created is seen after at most `ttl` seconds."""

    def __init__(self, ttl: float = 5.0, size: int = 10_000) -> None:
        self.ttl, self.size = ttl, size
        self.entries: dict[str, tuple[float, str, tuple[int, str] | None]] = {}

    def get(self, address: str) -> tuple[str, tuple[int, str] | None] | None:
        entry = self.entries.get(address.lower())
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1], entry[2]

    def put(self, address: str, answer: str, mailbox: tuple[int, str] | None) -> None:
        if len(self.entries) >= self.size:
            self.entries.clear()
        self.entries[address.lower()] = (time.monotonic() + self.ttl, answer, mailbox)


def _peer(session: Session) -> trust.Peer:
    peer = getattr(session, "caducee_peer", None)
    if not isinstance(peer, trust.Peer):  # a new session after STARTTLS: read it again
        peer = trust.peer_of(session.ssl)
        session.caducee_peer = peer  # type: ignore[attr-defined]
    return peer


def _refused(session: Session, stage: str, answer: str, address: str = "") -> str:
    """Log a refusal of the trust checks (not audited: anyone may cause one)."""
    peer = _peer(session)
    log.warning(
        "inbound %s refused: %s (client %s, TLS %s, certificate %s, sender %r)",
        stage,
        answer,
        session.peer[0] if isinstance(session.peer, tuple) else session.peer,
        peer.tls_version or "none",
        peer.subject_text or "none",
        address,
    )
    return ascii_reply(answer)


class InboundHandler:
    def __init__(self, cache_ttl: float = 5.0) -> None:
        self.cache = RcptCache(cache_ttl)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        peer = _peer(session)
        try:
            answer = str(await _in_thread(inbound_mail_from, peer, address))
        except Exception:
            log.exception("MAIL failed")
            return ascii_reply(TEMP_FAILURE)
        if not answer.startswith("250"):
            return _refused(session, "MAIL", answer, address)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return ascii_reply(answer)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if smtp_limits.too_many_recipients(len(envelope.rcpt_tos)):
            return ascii_reply(smtp_limits.TOO_MANY_RECIPIENTS)
        known = self.cache.get(address)
        if known is not None:
            answer, account = known
        else:
            try:
                answer, account = await _in_thread(inbound_rcpt, address)
            except Exception:
                log.exception("RCPT failed")
                return ascii_reply(TEMP_FAILURE)
            self.cache.put(address, answer, account)
        if account is not None:
            envelope.rcpt_tos.append(address)
            _state(envelope).mailboxes.append(account)
        return ascii_reply(str(answer))

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        mailboxes = _state(envelope).mailboxes
        if not mailboxes:
            return "554 5.5.1 Aucun destinataire valide"
        unique = list(dict.fromkeys(mailboxes))
        try:
            data = received_header(session, str(envelope.rcpt_tos[0]) if len(unique) == 1 else "")
            data += envelope.original_content or b""
            answer = str(await _in_thread(inbound_checked_data, _peer(session), data, unique))
            if answer.startswith("5"):
                return _refused(session, "DATA", answer, str(envelope.mail_from or ""))
            return ascii_reply(answer)
        except Exception:
            log.exception("DATA failed")
            return ascii_reply(TEMP_FAILURE)


class SubmissionHandler:
    # aiosmtpd uses a handler's auth_<MECHANISM> coroutines instead of its own ones.
    async def auth_PLAIN(self, server: SMTP, args: list[str]) -> AuthResult:
        return await _auth(server, "PLAIN", await smtp_auth.read_plain(server, args))

    async def auth_LOGIN(self, server: SMTP, args: list[str]) -> AuthResult:
        return await _auth(server, "LOGIN", await smtp_auth.read_login(server, args))

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        user = session.auth_data
        if not isinstance(user, User):
            return "530 5.7.0 Authentification requise"
        answer, mailbox = await _in_thread(submission_mail_from, user, address)
        if mailbox is not None:
            envelope.mail_from = address
            envelope.mail_options.extend(options)
            state = _state(envelope)
            state.user, state.mailbox = user, mailbox
        return ascii_reply(str(answer))

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        mailbox = _state(envelope).mailbox
        if mailbox is None:
            return "503 5.5.1 MAIL FROM d'abord"
        if smtp_limits.too_many_recipients(len(envelope.rcpt_tos)):
            return ascii_reply(smtp_limits.TOO_MANY_RECIPIENTS)
        answer = await _in_thread(submission_rcpt, mailbox, address)
        if str(answer).startswith("250"):
            envelope.rcpt_tos.append(address)
        return ascii_reply(str(answer))

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        state = _state(envelope)
        if state.user is None or state.mailbox is None or not envelope.rcpt_tos:
            return "503 5.5.1 Sequence de commandes incorrecte"
        try:
            return ascii_reply(
                await _in_thread(
                    submission_data,
                    state.user,
                    state.mailbox,
                    list(envelope.rcpt_tos),
                    received_header(session) + (envelope.original_content or b""),
                )
            )
        except Exception:
            log.exception("submission DATA failed")
            return ascii_reply(TEMP_FAILURE)


async def _auth(server: SMTP, mechanism: str, credentials: LoginPassword | None) -> AuthResult:
    """Check credentials read on the event loop in a worker thread (database work)."""
    if credentials is None:
        return smtp_auth.handled_failure()
    assert server.session is not None
    try:
        verdict = await _in_thread(
            smtp_auth.authenticate,
            credentials.login.decode("utf-8", "replace"),
            credentials.password.decode("utf-8", "replace"),
            smtp_auth.peer_ip(server.session),
            mechanism,
        )
    except Exception:
        log.exception("submission AUTH failed")
        return AuthResult(success=False, handled=False, message=smtp_auth.TEMPORARY)
    return smtp_auth.result(verdict)


# --- servers --------------------------------------------------------------------------


class CaduceeSMTP(SMTP):
    """aiosmtpd's protocol, with its address parsing made cheaper.

    aiosmtpd 1.4's `_getaddr` defines a `typing.Protocol` class on every call, that is for
    every MAIL FROM and RCPT TO: several per cent of the service's CPU per message. This is
    the same parsing (the standard library's RFC 5322 address parser, the same errors and
    local-part limit) without that class.

    It also applies the session limits (`smtp_limits`): beyond them a new connection gets
    421 and is closed before the greeting; and it logs failed TLS handshakes (for the
    inbound MTA, a client certificate that does not chain to the trust anchors)."""

    def __init__(
        self, handler: Any, *, limiter: smtp_limits.SessionLimiter | None = None, **kwargs: Any
    ) -> None:
        super().__init__(handler, **kwargs)
        self.limiter = limiter
        self.slot: str | None = None  # the client address counted by the limiter
        self.turned_away = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.limiter is not None and self._original_transport is None:  # not STARTTLS
            peer = transport.get_extra_info("peername")
            ip = str(peer[0]) if isinstance(peer, tuple) else str(peer)
            if not self.limiter.acquire(ip):
                log.warning("SMTP session refused: too many sessions (client %s)", ip)
                metrics.smtp_session(self.listener, accepted=False)
                self.turned_away = True
                assert isinstance(transport, asyncio.WriteTransport)
                transport.write(smtp_limits.TOO_MANY_SESSIONS.encode("ascii", "replace") + b"\r\n")
                transport.close()
                return
            self.slot = ip
        if self._original_transport is None:
            metrics.smtp_session(self.listener, accepted=True)
        super().connection_made(transport)

    @property
    def listener(self) -> str:
        return "inbound" if isinstance(self.event_handler, InboundHandler) else "submission"

    async def push(self, status: Any) -> None:
        metrics.smtp_reply(self.listener, status)  # counts the 4xx and 5xx replies
        await super().push(status)

    def connection_lost(self, error: Exception | None) -> None:
        if self.turned_away:
            return
        if self.slot is not None and self.limiter is not None:
            self.limiter.release(self.slot)
            self.slot = None
        super().connection_lost(error)

    async def smtp_STARTTLS(self, arg: str) -> None:
        try:
            await super().smtp_STARTTLS(arg)
        except TLSSetupException as exc:
            peer = self.session.peer if self.session is not None else None
            log.warning("STARTTLS failed (client %s): %s", peer, exc.__cause__)
            raise

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        if not arg:
            return "", ""
        address: AngleAddr | AddrSpec
        try:
            if arg.lstrip().startswith("<"):
                address, rest = get_angle_addr(arg)
            else:
                address, rest = get_addr_spec(arg)
        except HeaderParseError:
            return None, None
        addr = str(address.addr_spec)
        local_part = addr.rpartition("@")[0]
        if self.local_part_limit and len(local_part) > self.local_part_limit:
            return None, None
        return addr, str(rest)


class CaduceeController(Controller):
    """A listener whose connections are served by `CaduceeSMTP`."""

    def factory(self) -> SMTP:
        return CaduceeSMTP(self.handler, **self.SMTP_kwargs)


class SharedPortController(CaduceeController):
    """A listener that shares its port with the other `caducee smtp` processes
    (SO_REUSEPORT): the kernel spreads new connections among them, so each process, with
    its own interpreter, uses its own core.

    aiosmtpd checks a fresh listener by opening a test connection to it; on a shared port
    that connection may reach another process, so the protocol factory is checked here
    directly, in the listener's event loop, instead."""

    def _create_server(self) -> Any:
        return self.loop.create_server(
            self._factory_invoker,
            host=self.hostname,
            port=self.port,
            ssl=self.ssl_context,
            reuse_port=True,
        )

    def _trigger_server(self) -> None:
        self.loop.call_soon_threadsafe(self._factory_invoker)


def _controller_class(shared_port: bool) -> type[Controller]:
    return SharedPortController if shared_port else CaduceeController


def inbound_controller(host: str, port: int, *, shared_port: bool = False) -> Controller:
    return _controller_class(shared_port)(
        InboundHandler(settings.SMTP_RCPT_CACHE_SECONDS),
        hostname=host,
        port=port,
        server_hostname=settings.SMTP_HOSTNAME,
        ident="Caducee ESMTP",
        tls_context=tls.inbound_context(),
        data_size_limit=settings.SMTP_MAX_BYTES,
        require_starttls=False,  # refused at MAIL FROM instead, with 5.7.0, and logged
        auth_require_tls=True,
        **smtp_limits.server_kwargs(),
    )


def submission_controller(host: str, port: int, *, shared_port: bool = False) -> Controller:
    return _controller_class(shared_port)(
        SubmissionHandler(),
        hostname=host,
        port=port,
        server_hostname=settings.SMTP_HOSTNAME,
        ident="Caducee ESMTP",
        tls_context=tls.server_context(),
        data_size_limit=settings.SMTP_MAX_BYTES,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        auth_exclude_mechanism=["CRAM-MD5"],
        authenticator=smtp_auth.other_mechanisms,
        **smtp_limits.server_kwargs(),
    )
