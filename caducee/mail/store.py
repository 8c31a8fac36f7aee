"""Message bodies on disk: one RFC 5322 file per message, Maildir-compatible.

Layout under CADUCEE_HOME/mail: `<mailbox id>/{tmp,new,cur}/<unique name>`. (Outgoing
copies waiting for SMTP delivery are in the database; `queue/{tmp,new,cur}` only holds
those queued by older versions.) A file is written in
`tmp/`, fsync'd, renamed into `cur/`, and the directory is fsync'd: once `write` returns,
the message survives a crash of the process or of the machine. The SMTP service's group
commit defers the directory's fsync (`write(..., sync_directory=False)`) and makes it once
per batch for all the folders of the batch, in parallel (`sync_directories`), before any of
its messages is answered.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings

_counter = itertools.count(1)
_lock = threading.Lock()
_HOST = socket.gethostname().replace("/", "_").replace(":", "_")
_made: set[Path] = set()


def root() -> Path:
    return Path(settings.MAIL_ROOT)


def _unique_name() -> str:
    with _lock:
        n = next(_counter)
    return f"{time.time_ns()}.P{os.getpid()}Q{n}.{_HOST}"


def _ensure_dirs(base: Path) -> None:
    if base in _made:
        return
    for sub in ("tmp", "new", "cur"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    _fsync_dir(base)
    _fsync_dir(base.parent)
    _made.add(base)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write(box: str, data: bytes, *, sync_directory: bool = True) -> str:
    """Store `data` durably in the box (a mailbox id or "queue"); return its relative path.

    The file is always fsync'd. With `sync_directory=False` its folder is not: the caller
    must pass the path to `sync_directories` before it relies on the message."""
    base = root() / box
    _ensure_dirs(base)
    name = _unique_name()
    tmp = base / "tmp" / name
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    final = base / "cur" / f"{name}:2,"
    os.rename(tmp, final)
    if sync_directory:
        _fsync_dir(base / "cur")
    return f"{box}/cur/{name}:2,"


def sync_directories(paths: Iterable[str]) -> None:
    """fsync the folder of each of these stored files (relative paths), each folder once:
    their names in it (the rename of `write`) survive a crash of the machine. Several
    folders are fsync'd at the same time (threads of `_syncers`): a batch waits for the
    slowest, not for the sum (a few ms each on a virtual disk)."""
    folders = [root() / folder for folder in sorted({os.path.dirname(p) for p in paths})]
    if len(folders) == 1:
        _fsync_dir(folders[0])
        return
    for _ in _syncers().map(_fsync_dir, folders):  # raises the first failure
        pass


_pool: ThreadPoolExecutor | None = None


def _syncers() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="caducee-fsync")
        return _pool


_resolved_roots: dict[str, str] = {}


def full_path(relative: str) -> Path:
    """The file of a stored message; a path leading outside the store is refused, symbolic
    links included. (os.path on strings, the root resolved once: the IMAP service reads
    thousands of files per command.)"""
    base = str(settings.MAIL_ROOT)
    resolved = _resolved_roots.get(base)
    if resolved is None:
        resolved = _resolved_roots.setdefault(base, os.path.realpath(base))
    path = os.path.realpath(os.path.join(resolved, relative))
    if not path.startswith(resolved + os.sep):
        raise ValueError("chemin hors du stockage des messages")
    return Path(path)


def read(relative: str) -> bytes:
    return full_path(relative).read_bytes()


def delete(relative: str) -> None:
    try:
        full_path(relative).unlink()
    except FileNotFoundError:
        return
