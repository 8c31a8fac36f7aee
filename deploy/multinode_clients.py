"""deploy/multinode.py's clients: the console session, the SMTP loads (reception and
submission, spread over both smtp processes) and the health poller through nginx."""

from __future__ import annotations

import contextlib
import http.client
import re
import secrets
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from email.utils import formatdate
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from deploy.multinode_processes import Failed, query

DOMAIN = "ch-multi.mssante.fr"  # local mailboxes
REMOTE = "autre-operateur.mssante.fr"  # another operator: the sink
PEER = "medimail.mssante.fr"  # the operator that sends to us
MAILBOXES = 20
CONNECTIONS = 4  # client connections per direction


class Browser:
    """A console session against one web process (as nginx forwards: https, trusted proxy)."""

    def __init__(self, port: int, base_url: str) -> None:
        self.port, self.base_url = port, base_url
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes = b"", content_type: str = ""
    ) -> tuple[int, dict[str, str], str]:
        headers = {
            "Host": "localhost",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "127.0.0.1",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        if method == "POST":
            headers.update(Referer=self.base_url + path, Origin=self.base_url)
            headers["Content-Type"] = content_type or "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for raw in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie(raw)
                for key, morsel in cookie.items():
                    self.cookies[key] = morsel.value
            return response.status, dict(response.getheaders()), text
        finally:
            connection.close()

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], str]:
        from urllib.parse import urlencode

        fields = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **fields}
        return self.request("POST", path, urlencode(fields).encode())

    def post_file(self, path: str, field: str, name: str, data: bytes) -> Any:
        boundary = secrets.token_hex(12)
        token = self.cookies.get("csrftoken", "")
        body = (
            (
                f"--{boundary}\r\nContent-Disposition: form-data; "
                f'name="csrfmiddlewaretoken"\r\n\r\n'
                f"{token}\r\n--{boundary}\r\nContent-Disposition: form-data; "
                f'name="{field}"; filename="{name}"\r\nContent-Type: text/csv\r\n\r\n'
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.request("POST", path, body, f"multipart/form-data; boundary={boundary}")


def message(kind: str, n: int, sender: str, to: str) -> tuple[str, bytes]:
    msgid = f"<mn-{kind}-{n}@{DOMAIN}>"
    body = "Compte rendu de consultation, ligne de texte pour le volume.\r\n" * 20
    data = (
        f"From: {sender}\r\nTo: {to}\r\nDate: {formatdate()}\r\n"
        f"Subject: Multi-noeuds {kind} {n}\r\nMessage-ID: {msgid}\r\n\r\n{body}"
    ).encode()
    return msgid, data


class Load:
    """N messages over CONNECTIONS threads that spread over both SMTP processes; a message
    whose session breaks (its process killed) is sent again on the other one, and counted
    as « uncertain » when the break came after DATA (the server may have kept it)."""

    def __init__(
        self, kind: str, ports: list[int], total: int, connect: Callable[[int], smtplib.SMTP]
    ) -> None:
        self.kind, self.ports, self.total, self.connect = kind, ports, total, connect
        self.accepted = 0
        self.retried: list[str] = []
        self.uncertain: list[str] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(CONNECTIONS)
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        for thread in self.threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self.threads)

    def _run(self, index: int) -> None:
        mine = range(index, self.total, CONNECTIONS)
        port_index = index % len(self.ports)
        client: smtplib.SMTP | None = None
        for n in mine:
            sender, to, msgid, data = self.envelope(n)
            for attempt in range(6):
                try:
                    if client is None:
                        client = self.connect(self.ports[port_index])
                    client.sendmail(sender, [to], data)
                    break
                except (OSError, smtplib.SMTPException) as exc:
                    with self.lock:
                        self.retried.append(f"{msgid} ({type(exc).__name__})")
                        if client is not None:  # the break may have come after DATA
                            self.uncertain.append(msgid)
                    if client is not None:
                        with contextlib.suppress(OSError):
                            client.close()
                    client = None
                    port_index = (port_index + 1) % len(self.ports)
                    time.sleep(0.2 * attempt)
            else:
                with self.lock:
                    self.errors.append(f"{self.kind} {n} : jamais accepté")
                continue
            with self.lock:
                self.accepted += 1
        if client is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                client.quit()

    def envelope(self, n: int) -> tuple[str, str, str, bytes]:
        raise NotImplementedError


class Inbound(Load):
    def envelope(self, n: int) -> tuple[str, str, str, bytes]:
        sender, to = f"dr.expediteur@{PEER}", f"b{n % MAILBOXES}@{DOMAIN}"
        msgid, data = message("in", n, sender, to)
        return sender, to, msgid, data


class Outbound(Load):
    def envelope(self, n: int) -> tuple[str, str, str, bytes]:
        sender, to = f"b0@{DOMAIN}", f"dr.confrere@{REMOTE}"
        msgid, data = message("out", n, sender, to)
        return sender, to, msgid, data


class Health(threading.Thread):
    """GET /healthz through nginx every 0.1 s; counts the failures and when they were."""

    def __init__(self, port: int, cafile: Path) -> None:
        super().__init__(daemon=True)
        self.port, self.context = port, ssl.create_default_context(cafile=str(cafile))
        self.ok = 0
        self.failed: list[str] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            connection = http.client.HTTPSConnection(
                "localhost", self.port, context=self.context, timeout=10
            )
            try:
                connection.request("GET", "/healthz")
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    self.ok += 1
                else:
                    self.failed.append(f"HTTP {response.status}")
            except (OSError, http.client.HTTPException) as exc:
                self.failed.append(type(exc).__name__)
            finally:
                connection.close()
            self.halt.wait(0.1)


class ImportWatch:
    """An import uploaded on web 1 and followed on web 2 (same session: sessions are in the
    database), polling the console's progress fragment as htmx does."""

    def __init__(
        self, url: str, web1: Browser, web2_port: int, base_url: str, structure: int
    ) -> None:
        self.url, self.web1 = url, web1
        self.web2 = Browser(web2_port, base_url)
        self.web2.cookies = dict(web1.cookies)
        self.start_path = f"/console/structures/{structure}/import/"
        self.job = 0
        self.progress_seen: list[str] = []
        self.done = threading.Event()

    @property
    def job_path(self) -> str:
        return f"{self.start_path}{self.job}/"

    def upload(self, csv: bytes) -> int:
        self.web1.request("GET", self.start_path)
        status, headers, _ = self.web1.post_file(self.start_path, "fichier", "multi.csv", csv)
        found = re.search(r"/import/(\d+)/", headers.get("Location", ""))
        if status != 302 or not found:
            raise Failed(f"import refusé par web1 (HTTP {status})")
        self.job = int(found.group(1))
        threading.Thread(target=self._follow_until_done, daemon=True).start()
        return self.job

    def status(self) -> str:
        sql = "SELECT status FROM loadusers_importjob WHERE id = %s"
        return str(query(self.url, sql, self.job)[0][0])

    def follow(self) -> None:
        """What the console's progress fragment shows on web2 right now."""
        try:
            status, headers, page = self.web2.request("GET", f"{self.job_path}progression")
        except OSError:
            return
        if status != 200 or "HX-Refresh" in headers:
            return
        seen = re.search(r"<p>\s*([^<]*?)…\s*(?:(\d+) / (\d+) lignes)?", page)
        if seen:
            phase, done, total = seen.groups()
            shown = f"{phase.strip()} {done}/{total}" if total else phase.strip()
            if not self.progress_seen or self.progress_seen[-1] != shown:
                self.progress_seen.append(shown)

    def _follow_until_done(self) -> None:
        while not self.done.is_set():
            self.follow()
            self.done.wait(0.25)

    def previewed(self) -> bool:
        self.follow()
        status, _, page = self.web2.request("GET", self.job_path)
        return status == 200 and self.status() == "previewed" and "Confirmer" in page

    def over(self) -> bool:
        self.follow()
        return self.status() not in {"validating", "previewed", "running", "pending", "queued"}
