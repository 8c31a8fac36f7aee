"""The aiosmtpd handlers: each command's decision runs in a worker thread
(`decisions.py`, database work) and its reply is written back, in ASCII."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
import unicodedata
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from django.db import close_old_connections, connection, connections

from caducee.accounts.models import Account
from caducee.mail import addresses, smtp_auth, smtp_limits, trust
from caducee.mail.smtp import codes
from caducee.mail.smtp.commit import committer
from caducee.mail.smtp.decisions import (
    inbound_checked_data,
    inbound_mail_from,
    inbound_rcpt,
    received_header,
    sender_domain,
    submission_data,
    submission_mail_from,
    submission_rcpt,
)
from caducee.people.models import User

log = logging.getLogger("caducee.mail.smtp")


@lru_cache(maxsize=512)  # a few answers, given for every message
def ascii_reply(answer: str) -> str:
    """SMTP replies are ASCII (RFC 5321 §4.2): French text without its accents."""
    decomposed = unicodedata.normalize("NFKD", answer)
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return text.encode("ascii", "replace").decode("ascii").replace("\r", " ").replace("\n", " ")


Settle = Callable[[bool, Any], None]


class Workers:
    """The SMTP worker threads: jobs taken from one queue, each result handed back to the
    event loop by one `call_soon_threadsafe` (run_in_executor chains two futures and
    their callbacks for the same). Each thread keeps its database connection between
    messages."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.jobs: queue.SimpleQueue[tuple[Any, tuple[Any, ...], Settle]] = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            self.threads = [thread for thread in self.threads if thread.is_alive()]
            while len(self.threads) < self.count:
                thread = threading.Thread(target=self._run, name="caducee-smtp", daemon=True)
                thread.start()
                self.threads.append(thread)

    def submit(self, fn: Any, args: tuple[Any, ...], settle: Settle) -> None:
        if len(self.threads) < self.count:
            self.start()
        self.jobs.put((fn, args, settle))

    def _run(self) -> None:
        while True:
            fn, args, settle = self.jobs.get()
            try:
                result = _call(fn, *args)
            except BaseException as exc:  # handed to the waiting coroutine
                settle(False, exc)
            else:
                settle(True, result)


_workers = Workers(8)


def release_connections() -> None:
    """Close the database connection held by each SMTP worker thread (tests, shutdown)."""
    _workers.start()
    barrier = threading.Barrier(_workers.count)

    def close() -> None:
        connections.close_all()
        try:
            barrier.wait(timeout=5)
        except threading.BrokenBarrierError:
            return

    done: list[Future[None]] = []
    for _ in range(_workers.count):
        future: Future[None] = Future()
        done.append(future)
        _workers.submit(close, (), partial(_settle_future, future))
    for future in done:
        future.result(timeout=10)
    committer.release()


def _settle_future(future: Future[Any], ok: bool, value: Any) -> None:
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def _call(fn: Any, *args: Any) -> Any:
    """Run in a worker thread, keeping its database connection between messages."""
    try:
        return fn(*args)
    except Exception:
        close_old_connections()
        connection.close()  # the next call starts from a fresh connection
        raise


def _settle_in_loop(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.cancelled():  # the session ended meanwhile
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


async def _in_thread(fn: Any, *args: Any) -> Any:
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        try:
            loop.call_soon_threadsafe(_settle_in_loop, future, ok, value)
        except RuntimeError:  # the loop is closed: the listener was stopped
            return

    _workers.submit(fn, args, settle)
    return await future


@dataclass
class _EnvelopeState:
    """What the handlers remember about one message between its commands."""

    user: User | None = None
    mailbox: Account | None = None
    mailboxes: list[tuple[int, str]] = field(default_factory=list)


def _state(envelope: Envelope) -> _EnvelopeState:
    state = getattr(envelope, "caducee", None)
    if state is None:
        state = _EnvelopeState()
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


class TrustCache:
    """The trust checks' verdicts remembered for a few seconds, as RCPT answers are: for a
    given peer (TLS version, verified certificate), the answer to MAIL FROM depends only on
    the sender's domain, and the check of a `From:` domain only on that domain; both read
    the whitelist and the platform's domains from the database, twice per message without
    this. A domain removed from the whitelist is refused after at most `ttl` seconds."""

    def __init__(self, ttl: float = 5.0, size: int = 10_000) -> None:
        self.ttl, self.size = ttl, size
        self.senders: dict[tuple[trust.Peer, str], tuple[float, str]] = {}
        self.domains: dict[tuple[trust.Peer, str], tuple[float, str | None]] = {}

    def sender(self, peer: trust.Peer, domain: str) -> str | None:
        """The MAIL FROM answer already given to this peer for this sender domain."""
        entry = self.senders.get((peer, domain))
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def remember_sender(self, peer: trust.Peer, domain: str, answer: str) -> None:
        if len(self.senders) >= self.size:
            self.senders.clear()
        self.senders[(peer, domain)] = (time.monotonic() + self.ttl, answer)

    def check_domain(self, peer: trust.Peer, domain: str) -> str | None:
        """`trust.check_domain`, remembered (called in the worker threads)."""
        key = (peer, domain.lower())
        entry = self.domains.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        verdict = trust.check_domain(peer, domain)
        if len(self.domains) >= self.size:
            self.domains.clear()
        self.domains[key] = (time.monotonic() + self.ttl, verdict)
        return verdict


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
        self.trust = TrustCache(cache_ttl)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        peer = _peer(session)
        domain = sender_domain(address)
        known = self.trust.sender(peer, domain)
        if known is not None:  # answered in the event loop: no thread, no query
            answer = known
        else:
            try:
                answer = str(await _in_thread(inbound_mail_from, peer, address))
            except Exception:
                log.exception("MAIL failed")
                return ascii_reply(codes.TEMP_FAILURE)
            self.trust.remember_sender(peer, domain, answer)
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
                return ascii_reply(codes.TEMP_FAILURE)
            self.cache.put(address, answer, account)
        testing = addresses.inbound_test_refusal(str(envelope.mail_from or ""), address)
        if account is not None and testing:  # test addresses only with test addresses
            return _refused(session, "RCPT", codes.TEST_ONLY.format(reason=testing), address)
        if account is not None:
            envelope.rcpt_tos.append(address)
            _state(envelope).mailboxes.append(account)
        return ascii_reply(str(answer))

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        mailboxes = _state(envelope).mailboxes
        if not mailboxes:
            return ascii_reply(codes.NO_VALID_RECIPIENT)
        unique = list(dict.fromkeys(mailboxes))
        try:
            data = received_header(session, str(envelope.rcpt_tos[0]) if len(unique) == 1 else "")
            data += envelope.original_content or b""
            answer = str(
                await _in_thread(
                    inbound_checked_data,
                    _peer(session),
                    data,
                    unique,
                    str(envelope.mail_from or ""),
                    self.trust.check_domain,
                )
            )
            if answer.startswith("5"):
                return _refused(session, "DATA", answer, str(envelope.mail_from or ""))
            return ascii_reply(answer)
        except Exception:
            log.exception("DATA failed")
            return ascii_reply(codes.TEMP_FAILURE)


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
            return ascii_reply(codes.AUTH_REQUIRED)
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
            return ascii_reply(codes.MAIL_FIRST)
        if smtp_limits.too_many_recipients(len(envelope.rcpt_tos)):
            return ascii_reply(smtp_limits.TOO_MANY_RECIPIENTS)
        answer = await _in_thread(submission_rcpt, mailbox, address)
        if str(answer).startswith("250"):
            envelope.rcpt_tos.append(address)
        return ascii_reply(str(answer))

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        state = _state(envelope)
        if state.user is None or state.mailbox is None or not envelope.rcpt_tos:
            return ascii_reply(codes.BAD_SEQUENCE)
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
            return ascii_reply(codes.TEMP_FAILURE)


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
