"""Who performs an operation: the physical person, the mailbox acted as, and from where."""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caducee.accounts.models import Account
    from caducee.people.models import User


SERVER_CHANNELS = frozenset({"cli", "system"})


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

    @property
    def is_server(self) -> bool:
        """The platform itself acts: a command on the server or a system job, with no person.

        Only a context without a user counts: a person's request never becomes the server's,
        whatever its channel (a task carrying a deleted person runs with channel web/api).
        """
        return self.user is None and self.channel in SERVER_CHANNELS


def cli_context(user: User | None = None) -> Context:
    """Context of a command run on the server: the operating-system user is the person."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "inconnu"
    return Context(user=user, channel="cli", label=f"cli:{who}@{socket.gethostname()}")


def system_context(reason: str) -> Context:
    return Context(user=None, channel="system", label=f"system:{reason}")


# --- Carried to a background task -----------------------------------------------------------


def context_args(ctx: Context) -> dict[str, Any]:
    """The context as JSON-serialisable task arguments (ids and strings only)."""
    return {
        "user": ctx.user.pk if ctx.user is not None else None,
        "acting_as": ctx.acting_as.pk if ctx.acting_as is not None else None,
        "ip": ctx.ip,
        "channel": ctx.channel,
        "label": ctx.label,
    }


def context_from_args(data: dict[str, Any]) -> Context:
    """The context a task acts with: the person who asked, read again from the database.

    A person deleted since keeps no power: the user is then None with the original
    channel (web or api), which `require_admin` refuses, unlike a genuine cli/system
    context.
    """
    from caducee.accounts.models import Account
    from caducee.people.models import User

    user_id = data.get("user")
    account_id = data.get("acting_as")
    user = User.objects.filter(pk=user_id).first() if user_id is not None else None
    acting_as = Account.objects.filter(pk=account_id).first() if account_id is not None else None
    channel = str(data.get("channel") or "system")
    if user_id is not None and user is None and channel in SERVER_CHANNELS:
        channel = "web"
    return Context(
        user=user,
        acting_as=acting_as,
        ip=data.get("ip"),
        channel=channel,
        label=str(data.get("label") or ""),
    )
