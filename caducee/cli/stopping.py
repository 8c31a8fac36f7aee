"""How a long-running role (`caducee worker`, `scheduler`, `smtp`) learns it must stop.

systemd and `kill` send SIGTERM, a terminal's Ctrl-C sends SIGINT: both set one event that
the role's loop waits on, so it finishes the work in hand and releases what it holds (lease,
claimed rows, listening sockets) instead of dying in the middle of a step.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType


def stop_event() -> threading.Event:
    """An event set on SIGTERM or SIGINT (call from the main thread)."""
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    return stop
