"""The IMAP listener: one thread per session (each holds one database connection), at
most CADUCEE_IMAP_MAX_SESSIONS at once; STARTTLS with the SMTP services' certificate
(caducee.mail.tls), or implicit TLS on CADUCEE_IMAPS (port 993's role)."""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading

from django.conf import settings

from caducee.mail import tls
from caducee.mail.imap.session import Session

log = logging.getLogger("caducee.mail.imap")


class ImapService:
    """`start()` binds and serves in background threads; `stop()` ends every session."""

    def __init__(self, host: str, port: int, *, implicit_tls: bool = False) -> None:
        self.host, self.port = host, port
        self.implicit_tls = implicit_tls
        self.context = tls.server_context()
        self.listener: socket.socket | None = None
        self.thread: threading.Thread | None = None
        self.sessions: dict[threading.Thread, socket.socket] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((self.host, self.port))
            listener.listen(128)
        except OSError:
            listener.close()
            raise
        self.port = int(listener.getsockname()[1])
        listener.settimeout(0.5)
        self.listener = listener
        self.thread = threading.Thread(target=self._accept, name="caducee-imap", daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        assert self.listener is not None
        while not self.stopping.is_set():
            try:
                sock, address = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            peer = str(address[0])
            with self.lock:
                full = len(self.sessions) >= settings.IMAP_MAX_SESSIONS
            if full:
                log.warning("IMAP session refused: too many sessions (client %s)", peer)
                try:
                    sock.sendall(b"* BYE Trop de sessions ouvertes, reessayez plus tard\r\n")
                finally:
                    sock.close()
                continue
            thread = threading.Thread(
                target=self._serve, args=(sock, peer), name="caducee-imap-session", daemon=True
            )
            with self.lock:
                self.sessions[thread] = sock
            thread.start()

    def _serve(self, sock: socket.socket, peer: str) -> None:
        try:
            if self.implicit_tls:
                sock.settimeout(30)
                try:
                    sock = self.context.wrap_socket(sock, server_side=True)
                except (ssl.SSLError, OSError) as exc:
                    log.warning("IMAPS handshake failed from %s: %s", peer, exc)
                    return
                with self.lock:
                    self.sessions[threading.current_thread()] = sock
            Session(sock, peer, self.context).run()
        except Exception:
            log.exception("IMAP session from %s ended by an error", peer)
        finally:
            try:
                sock.close()
            finally:
                with self.lock:
                    self.sessions.pop(threading.current_thread(), None)

    def stop(self) -> None:
        self.stopping.set()
        if self.listener is not None:
            self.listener.close()
        if self.thread is not None:
            self.thread.join(timeout=5)
        with self.lock:
            open_sessions = list(self.sessions.items())
        for _, sock in open_sessions:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread, _ in open_sessions:
            thread.join(timeout=5)
