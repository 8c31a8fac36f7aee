"""The IMAP connection's reading side and the two ways a command ends early."""

from __future__ import annotations

import select
import socket
import ssl

from caducee.mail.imap import auth, wire
from caducee.mail.imap.wire import BadCommand


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
