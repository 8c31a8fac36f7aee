"""One scheduler per platform: a lease row, taken and renewed by an atomic UPDATE.

The holder renews the lease well before it expires (every third of its duration). If the
holder dies, the lease simply expires and the next `caducee scheduler` that asks takes it:
with the default 60 s lease, within a minute.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from caducee.scheduler.models import Lease

NAME = "scheduler"
MAX_SECONDS = 60  # a dead holder is replaced within a minute


def new_holder_id() -> str:
    """host:pid:random, unique even when a pid is reused or on several machines."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def duration() -> timedelta:
    seconds = int(getattr(settings, "SCHEDULER_LEASE_SECONDS", MAX_SECONDS))
    return timedelta(seconds=max(1, min(seconds, MAX_SECONDS)))


def acquire(holder: str, name: str = NAME, now: datetime | None = None) -> bool:
    """Take or renew the lease; False while another live holder has it."""
    now = now or timezone.now()
    until = now + duration()
    try:
        updated = (
            Lease.objects.filter(name=name)
            .filter(Q(expires_at__lt=now) | Q(holder=holder))
            .update(holder=holder, expires_at=until)
        )
        if updated:
            return True
        if Lease.objects.filter(name=name).exists():
            return False
        with transaction.atomic():
            Lease.objects.create(name=name, holder=holder, expires_at=until)
        return True
    except IntegrityError:  # another scheduler inserted it first
        return False
    except DatabaseError:  # e.g. SQLite busy: try again at the next round
        return False


def release(holder: str, name: str = NAME) -> None:
    """Give the lease up at once (clean stop), so that another scheduler takes over."""
    with contextlib.suppress(DatabaseError):  # if it fails, the lease expires on its own
        Lease.objects.filter(name=name, holder=holder).update(expires_at=timezone.now())


def current(name: str = NAME) -> Lease | None:
    return Lease.objects.filter(name=name).first()


class Heartbeat:
    """Renews the lease in a thread while jobs run; `lost` is set if renewal fails."""

    def __init__(self, holder: str, name: str = NAME) -> None:
        self.holder = holder
        self.name = name
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="scheduler-lease", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _beat(self) -> None:
        period = duration().total_seconds() / 3
        try:
            while not self._stop.wait(period):
                if not acquire(self.holder, self.name):
                    self.lost.set()
                    return
        finally:
            connection.close()  # this thread's own connection
