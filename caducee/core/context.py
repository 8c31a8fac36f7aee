"""Who performs an operation: the physical person, the mailbox acted as, and from where."""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caducee.accounts.models import Account
    from caducee.people.models import User


@dataclass(frozen=True)
class Context:
    user: User | None
    acting_as: Account | None = None
    ip: str | None = None
    channel: str = "web"  # web, api, cli, import, smtp, system
    label: str = ""  # who, when there is no user: "cli:root@host"

    @property
    def actor_label(self) -> str:
        if self.user is not None:
            return self.user.email
        return self.label or self.channel

    @property
    def is_operator(self) -> bool:
        return bool(self.user is not None and self.user.is_operator)


def cli_context(user: User | None = None) -> Context:
    """Context of a command run on the server: the operating-system user is the person."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "inconnu"
    return Context(user=user, channel="cli", label=f"cli:{who}@{socket.gethostname()}")


def system_context(reason: str) -> Context:
    return Context(user=None, channel="system", label=f"system:{reason}")
