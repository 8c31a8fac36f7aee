"""What each delegate right allows in the delegating mailbox, as data (seed 004,
« Ajouter un compte délégué »; docs/ACCOUNTS.md, « Comptes délégués »).

The owner of a mailbox, and the connection accounts of a shared one, may do everything;
a delegate may do what `ALLOWS[right]` lists. The webmail hides what is not allowed and
the mail operations refuse it (`caducee.mail.access.require_capability`) with
`REFUSALS[capability]`.
"""

from __future__ import annotations

from enum import StrEnum

from caducee.accounts.models import DelegationRight


class Capability(StrEnum):
    """One kind of action in a mailbox."""

    READ = "read"  # list, read, download attachments, mark read/unread, export
    REPLY = "reply"  # reply (and reply to all) to a message of the mailbox; its drafts
    WRITE = "write"  # a new message, a forward
    FILE = "file"  # move messages; create, rename, delete folders
    DELETE = "delete"  # send to the bin, delete for good, empty the bin


ALL = frozenset(Capability)

ALLOWS: dict[str, frozenset[Capability]] = {
    DelegationRight.READ: frozenset({Capability.READ}),
    DelegationRight.REPLY: frozenset({Capability.READ, Capability.REPLY}),
}

# What the refusal says, after « Votre délégation sur la boîte X (« right ») ».
REFUSALS: dict[Capability, str] = {
    Capability.READ: "ne permet pas de lire ses messages",
    Capability.REPLY: "ne permet pas d'envoyer de message ni d'enregistrer de brouillon",
    Capability.WRITE: "permet seulement de répondre aux messages reçus, pas d'écrire un "
    "nouveau message ni de transférer",
    Capability.FILE: "ne permet pas de déplacer des messages ni de gérer les dossiers",
    Capability.DELETE: "ne permet pas de supprimer des messages ni de vider la corbeille",
}


def allows(right: str | None, capability: Capability) -> bool:
    """True when a person with this delegate right (None: owner or connection account) may."""
    if right is None:
        return True
    return capability in ALLOWS.get(right, frozenset())


def refusal(right: str, mailbox_email: str, capability: Capability) -> str:
    """The French refusal of an action this right does not allow, and what to do."""
    label = DelegationRight(right).label
    reason = REFUSALS[capability]
    if capability == Capability.WRITE and Capability.REPLY not in ALLOWS.get(right, frozenset()):
        reason = REFUSALS[Capability.REPLY]
    return (
        f"Votre délégation sur la boîte {mailbox_email} (« {label} ») {reason}. "
        "Demandez à l'administrateur de la structure de changer vos droits de délégué."
    )
