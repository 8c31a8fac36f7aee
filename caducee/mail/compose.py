"""Reply and forward drafts: what the compose form (webmail) or a reply sent through the API
starts from. Pure functions of the parsed original, no database, no request.

Subject prefixes: a reply adds « Re : » unless the subject already starts with a reply
prefix (« Re : », « RE: », « Aw: »…); a forward adds « Tr : » unless it already starts
with a forward prefix (« Tr : », « Fwd: », « Fw: »…). A subject merely beginning with the
letters "re" (« Rendez-vous… », « Résultats… ») is not a reply.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from caducee.mail import addresses, mime

REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|antw)\s*(\[\d+\])?\s*:", re.IGNORECASE)
FORWARD_PREFIX = re.compile(r"^\s*(tr|fwd?|wg|enc)\s*(\[\d+\])?\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class ComposeDraft:
    """The compose form's starting values (addresses as typed text, comma-separated)."""

    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    body: str = ""
    in_reply_to: str = ""
    references: str = ""
    forward_of: str = ""  # the id of the message whose attachments a forward carries

    def as_form(self) -> dict[str, str]:
        return asdict(self)


def is_reply(subject: str) -> bool:
    return bool(REPLY_PREFIX.match(subject))


def is_forward(subject: str) -> bool:
    return bool(FORWARD_PREFIX.match(subject))


def reply_subject(subject: str) -> str:
    return subject if is_reply(subject) else f"Re : {subject}"


def forward_subject(subject: str) -> str:
    return subject if is_forward(subject) else f"Tr : {subject}"


def _quote_header(parsed: mime.Parsed) -> str:
    if parsed.date:
        return f"Le {parsed.date:%d/%m/%Y à %H:%M}, {parsed.sender} a écrit :"
    return f"{parsed.sender} a écrit :"


def reply_draft(parsed: mime.Parsed, own_address: str, reply_all: bool = False) -> ComposeDraft:
    """A reply to the sender (and, with `reply_all`, copies to the other recipients except
    the mailbox's own address), the original quoted below."""
    cc: list[str] = []
    if reply_all:
        own = addresses.normalise(own_address)
        others = mime.address_list(parsed.to) + mime.address_list(parsed.cc)
        cc = [a for a in others if addresses.normalise(a) != own]
    return ComposeDraft(
        to=parsed.sender,
        cc=", ".join(cc),
        subject=reply_subject(parsed.subject),
        body=f"\n\n{_quote_header(parsed)}\n{mime.quote(parsed.text)}",
        in_reply_to=parsed.message_id,
        references=parsed.references,  # mime.compose appends In-Reply-To
    )


def forward_draft(parsed: mime.Parsed, forward_of: int) -> ComposeDraft:
    """A forward of message `forward_of` (its attachments go with it), recipients to choose."""
    return ComposeDraft(
        forward_of=str(forward_of),
        subject=forward_subject(parsed.subject),
        body=(
            f"\n\n-------- Message transféré --------\nDe : {parsed.sender}\n"
            f"Objet : {parsed.subject}\n\n{parsed.text}"
        ),
    )


def draft_again(parsed: mime.Parsed) -> ComposeDraft:
    """A saved draft opened again for editing; a reply stays a reply (In-Reply-To, and the
    References before it: `mime.compose` appends In-Reply-To again)."""
    references = parsed.references.split()
    if references and references[-1] == parsed.in_reply_to:
        references = references[:-1]
    return ComposeDraft(
        to=parsed.to,
        cc=parsed.cc,
        bcc=parsed.bcc,
        subject=parsed.subject,
        body=parsed.text,
        in_reply_to=parsed.in_reply_to,
        references=" ".join(references),
    )
