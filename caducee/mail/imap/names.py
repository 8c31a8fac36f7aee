"""IMAP folder names: the webmail's folders of both spaces, in modified UTF-7 (RFC 3501
§5.1.3), with the hierarchy delimiter "/".

Space « Prof. Santé »: INBOX, « Messages envoyés » (\\Sent), « Brouillons » (\\Drafts),
« Messages supprimés » (\\Trash) and the person's folders by name. Space « Patient »: the
same under « Espace patient », whose own messages are the patient inbox.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from caducee.mail.models import Folder, Space, SystemFolder

DELIMITER = "/"
PATIENT = "Espace patient"
SYSTEM_NAMES = {
    SystemFolder.SENT: "Messages envoyés",
    SystemFolder.DRAFTS: "Brouillons",
    SystemFolder.TRASH: "Messages supprimés",
}
SPECIAL_USE = {
    SystemFolder.SENT: "\\Sent",
    SystemFolder.DRAFTS: "\\Drafts",
    SystemFolder.TRASH: "\\Trash",
}


@dataclass(frozen=True)
class Entry:
    """One folder as IMAP shows it."""

    name: str  # Unicode; `encode` gives the wire form
    space: str
    folder: str  # a system key or "f<id>"
    attributes: tuple[str, ...]


def entries(mailbox_id: int) -> list[Entry]:
    """Every folder of the mailbox, both spaces."""
    found: list[Entry] = []
    user_folders = list(Folder.objects.filter(mailbox_id=mailbox_id).order_by("name"))
    for space, prefix in ((Space.PRO, ""), (Space.PATIENT, PATIENT + DELIMITER)):
        inbox_name = "INBOX" if space == Space.PRO else PATIENT
        found.append(Entry(inbox_name, space, SystemFolder.INBOX, ()))
        for key, label in SYSTEM_NAMES.items():
            special = (SPECIAL_USE[key],) if space == Space.PRO else ()
            found.append(Entry(prefix + label, space, key, special))
        for folder in user_folders:
            if folder.space == space:
                found.append(Entry(prefix + folder.name, space, folder.key, ()))
    return found


def find(mailbox_id: int, name: str) -> Entry | None:
    """The folder with that (decoded) name; INBOX in any case."""
    name = name.rstrip(DELIMITER)
    if name.upper() == "INBOX":
        name = "INBOX"
    for entry in entries(mailbox_id):
        if entry.name == name:
            return entry
    return None


def split(name: str) -> tuple[str, str]:
    """(space, name within the space) for a folder to create or rename to."""
    name = name.rstrip(DELIMITER)
    if name.startswith(PATIENT + DELIMITER):
        return Space.PATIENT, name[len(PATIENT) + 1 :]
    return Space.PRO, name


# --- modified UTF-7 ------------------------------------------------------------------


def encode(name: str) -> str:
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def decode(name: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(name):
        char = name[i]
        if char != "&":
            out.append(char)
            i += 1
            continue
        end = name.find("-", i)
        if end < 0:
            raise ValueError("nom de dossier mal encodé")
        chunk = name[i + 1 : end]
        if not chunk:
            out.append("&")
        else:
            data = chunk.replace(",", "/")
            data += "=" * (-len(data) % 4)
            out.append(base64.b64decode(data).decode("utf-16-be"))
        i = end + 1
    return "".join(out)
