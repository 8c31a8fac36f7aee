"""The SMTP listeners: aiosmtpd's protocol (`CaduceeSMTP`) and the controllers that run
the inbound MTA (port 25 role) and authenticated submission."""

from __future__ import annotations

import asyncio
import logging
import re
from email._header_value_parser import AddrSpec, AngleAddr, get_addr_spec, get_angle_addr
from email.errors import HeaderParseError
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, TLSSetupException
from django.conf import settings

from caducee.mail import smtp_auth, smtp_limits, tls
from caducee.mail.smtp.data import Verdict, read_data
from caducee.mail.smtp.handlers import InboundHandler, SubmissionHandler
from caducee.monitoring import metrics

log = logging.getLogger("caducee.mail.smtp")

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
# The common form of MAIL FROM / RCPT TO arguments, read without the RFC 5322 parser.
_SIMPLE_ANGLE_ADDR = re.compile(rf"<({_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*)>")


class CaduceeSMTP(SMTP):
    """aiosmtpd's protocol, with its address parsing made cheaper.

    aiosmtpd 1.4's `_getaddr` defines a `typing.Protocol` class on every call, that is for
    every MAIL FROM and RCPT TO: several per cent of the service's CPU per message. This is
    the same parsing (the standard library's RFC 5322 address parser, the same errors and
    local-part limit) without that class; and the common `<dot-atom@dot-atom>` form is
    read with one regular expression, to the same result (tests compare both).

    DATA is read in a few large pieces instead of line by line (`data.py`, the same
    answers for the same bytes).

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

    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA (its checks, answers and hook), the data read by `read_data`."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        try:
            state, content = await read_data(
                self._reader, self.line_length_limit, self.data_size_limit
            )
        except asyncio.CancelledError:
            log.info("Connection lost during DATA")
            self._writer.close()
            raise
        if state is not Verdict.NOMINAL:
            too_long = state is Verdict.TOO_LONG
            await self.push(
                "500 Line too long (see RFC5321 4.5.3.1.6)"
                if too_long
                else "552 Error: Too much mail data"
            )
            self._set_post_data_state()  # type: ignore[no-untyped-call]
            return
        if self._decode_data:
            try:
                self.envelope.content = content.decode(
                    "utf-8" if self.enable_SMTPUTF8 else "ascii",
                    "surrogateescape" if self.enable_SMTPUTF8 else "strict",
                )
            except UnicodeDecodeError:  # not announced, not accepted: strict ASCII
                await self.push("500 Error: strict ASCII mode")
                return
        else:
            self.envelope.content = content
        self.envelope.original_content = content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()  # type: ignore[no-untyped-call]
        await self.push("250 OK" if status is MISSING else status)

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        if not arg:
            return "", ""
        simple = _SIMPLE_ANGLE_ADDR.match(arg)
        rest = arg[simple.end() :] if simple is not None else ""
        if rest[:1] in (" ", "\t"):  # the parser drops the folding white space after `>`
            rest = rest.lstrip()
        if simple is not None and not rest.startswith("("):  # a comment: the parser reads it
            addr = simple[1]
            if self.local_part_limit and len(addr.rpartition("@")[0]) > self.local_part_limit:
                return None, None
            return addr, rest
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
