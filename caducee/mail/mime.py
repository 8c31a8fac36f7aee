"""Reading and writing RFC 5322 / MIME messages with the standard `email` package."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import format_datetime, getaddresses, make_msgid, parsedate_to_datetime

import nh3
from django.conf import settings
from django.utils import timezone

from caducee.core.errors import Invalid, Problem

MAX_FILENAME = 120
SEARCH_TEXT_CHARS = 20_000
# The folding of the search text (`search_text`): lower case, the accented letters French
# mail uses to their base letter, `@` and `.` split addresses into words, and `<`, `>`,
# `&` go (PostgreSQL's parser would take `<a@b.fr>` for an HTML tag and drop it). The
# PostgreSQL index of migration mail 0008 folds the sender and subject the same way in
# SQL and takes this text as it is: folded here, each message costs its server about a
# millisecond less (`translate` of 10 kB of UTF-8 text costs 1.3 ms; issue #19).
SEARCH_FOLD = str.maketrans("àâäáãåçéèêëíìîïñóòôöõúùûüýÿ@.<>&", "aaaaaaceeeeiiiinooooouuuuyy     ")
# What `str.splitlines` (hence the email package's header check) treats as a line break.
_LINE_BREAK = re.compile("[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_CONTENT_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$")
# Room for the headers and MIME boundaries around the encoded parts.
HEADERS_ROOM = 16 * 1024


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Parsed:
    message_id: str = ""
    sender: str = ""
    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    date: datetime | None = None
    in_reply_to: str = ""
    references: str = ""
    text: str = ""
    html: str = ""
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def has_attachments(self) -> bool:
        return bool(self.attachments)


def sanitise_filename(name: str | None, fallback: str = "piece-jointe") -> str:
    """A file name safe on every system: no path, no control characters, bounded length."""
    value = unicodedata.normalize("NFC", name or "")
    value = value.replace("\\", "/").rsplit("/", 1)[-1]
    value = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C")
    value = re.sub(r'[<>:"|?*\x00-\x1f]', "_", value).strip().strip(".")
    value = re.sub(r"\s+", " ", value)
    if not value:
        value = fallback
    if len(value) > MAX_FILENAME:
        stem, dot, ext = value.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            value = stem[: MAX_FILENAME - len(ext) - 1] + "." + ext
        else:
            value = value[:MAX_FILENAME]
    return value


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except (ValueError, TypeError, IndexError):
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _date(msg: Message) -> datetime | None:
    raw = _header(msg, "Date")
    if not raw:
        return None
    try:
        value = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if value.tzinfo is None:
        value = timezone.make_aware(value)
    return value


def _payload_text(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, ValueError, AssertionError, KeyError):
        raw = part.get_payload(decode=True)
        content = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
    return content if isinstance(content, str) else ""


def parse(data: bytes) -> Parsed:
    msg = BytesParser(policy=policy.default).parsebytes(data)
    result = Parsed(
        message_id=_header(msg, "Message-ID")[:255],
        sender=_header(msg, "From")[:320],
        to=_header(msg, "To"),
        cc=_header(msg, "Cc"),
        bcc=_header(msg, "Bcc"),
        subject=_header(msg, "Subject")[:500],
        date=_date(msg),
        in_reply_to=_header(msg, "In-Reply-To"),
        references=_header(msg, "References"),
    )
    for part in msg.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        ctype = part.get_content_type()
        filename = part.get_filename()
        if disposition == "attachment" or filename or ctype not in ("text/plain", "text/html"):
            if ctype == "message/rfc822" and not filename:
                filename = "message.eml"
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) or filename:
                result.attachments.append(
                    Attachment(
                        sanitise_filename(filename),
                        ctype,
                        payload if isinstance(payload, bytes) else b"",
                    )
                )
            continue
        if ctype == "text/plain" and not result.text:
            result.text = _payload_text(part)
        elif ctype == "text/html" and not result.html:
            result.html = _payload_text(part)
    return result


def _decoded(value: object) -> str:
    if value is None:
        return ""
    try:
        text = str(make_header(decode_header(str(value))))
    except (LookupError, ValueError, UnicodeError, HeaderParseError):
        text = str(value)
    return " ".join(text.split())


def header_block(data: bytes) -> tuple[bytes, int]:
    """The message up to its first empty line (all that a header parse reads: it stops
    there, or earlier at a line that is not a header), and where the body starts after
    that empty line (`len(data)` when there is none)."""
    end = data.find(b"\n\r\n")
    bare = data.find(b"\n\n", 0, end + 1 if end >= 0 else len(data))  # a bare LF one first
    if bare >= 0:
        return data[: bare + 1], bare + 2
    if end >= 0:
        return data[: end + 1], end + 3
    return data, len(data)


def summary_message(data: bytes) -> Message:
    """The message as `summary` reads it, with the fast compat32 parser. A message whose
    body is one part (not multipart, not message/*): its header block parsed, the rest set
    as its body, the same `Message` as the whole parse gives without reading the body line
    by line; any other message, or a header block the parser did not end at its empty
    line, is parsed whole."""
    block, body_at = header_block(data)
    msg = BytesHeaderParser(policy=policy.compat32).parsebytes(block)
    if (
        msg.defects  # a line that is not a header: the body starts there
        or msg.get_payload()  # an empty line before (a bare CR one)
        or _ends_empty(block)  # or as its last line
        or msg.get_content_maintype() in _STRUCTURED
    ):
        return BytesParser(policy=policy.compat32).parsebytes(data)
    msg.set_payload(data[body_at:].decode("ascii", "surrogateescape"))  # as BytesParser
    return msg


_STRUCTURED = ("multipart", "message")  # types whose body the parser reads into parts


def _ends_empty(block: bytes) -> bool:
    """True when the last line of `block` is empty (CR, LF and CRLF all end a line)."""
    if not block.endswith(b"\n"):
        return False
    last = block[:-2] if block.endswith(b"\r\n") else block[:-1]
    return not last or last.endswith((b"\r", b"\n"))


def summary(data: bytes) -> Parsed:
    """What the message list needs (headers, start of the text, attachment flag), read with
    the fast compat32 parser; the reading view uses `parse`."""
    return summary_of(summary_message(data))


def summary_of(msg: Message) -> Parsed:
    """`summary` of a message already parsed by `summary_message`."""
    result = Parsed(
        message_id=_decoded(msg.get("Message-ID"))[:255],
        sender=_decoded(msg.get("From"))[:320],
        to=_decoded(msg.get("To")),
        cc=_decoded(msg.get("Cc")),
        subject=_decoded(msg.get("Subject"))[:500],
        date=_date(msg),
        in_reply_to=_decoded(msg.get("In-Reply-To")),
        references=_decoded(msg.get("References")),
    )
    html = ""
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if (
            part.get_filename()
            or part.get("Content-Disposition", "").lower().startswith("attachment")
            or ctype not in ("text/plain", "text/html")
        ):
            result.attachments.append(
                Attachment(sanitise_filename(part.get_filename()), ctype, b"")
            )
            continue
        if result.text and html:
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            content = payload.decode(charset, "replace")
        except LookupError:
            content = payload.decode("utf-8", "replace")
        if ctype == "text/plain" and not result.text:
            result.text = content
        elif ctype == "text/html" and not html:
            html = content
    result.html = html
    return result


def search_text(parsed: Parsed) -> str:
    """The start of the message's text as the search index reads it, folded (`SEARCH_FOLD`)."""
    text = parsed.text or nh3.clean(parsed.html, tags=set())
    return fold_search_text(text[:SEARCH_TEXT_CHARS])


def fold_search_text(text: str) -> str:
    return text.lower().translate(SEARCH_FOLD)


def _drop_remote(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute in {"src", "srcset"}:
        return None  # remote images are blocked; inline ones are shown as attachments
    if attribute in {"style", "background"}:
        return None  # no url() leaks through CSS
    return value


def safe_html(html: str) -> str:
    """Received HTML made harmless: no script, no handlers, no remote content."""
    return nh3.clean(
        html,
        attribute_filter=_drop_remote,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def has_remote_images(html: str) -> bool:
    return bool(re.search(r"<img[^>]+src\s*=\s*['\"]?\s*https?:", html, re.IGNORECASE))


def address_list(raw: str) -> list[str]:
    """Split a To/Cc field typed by a person ("a@b, Nom <c@d>; e@f")."""
    raw = raw.replace(";", ",")
    return [addr for _, addr in getaddresses([raw]) if addr.strip()]


@dataclass
class Draft:
    """What a person writes; headers are built from it."""

    sender: str
    sender_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    subject: str = ""
    body: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    in_reply_to: str = ""
    references: str = ""
    extra_headers: dict[str, str] = field(default_factory=dict)
    # MSSanté (caducee/mail/mss.py): the patient's INS typed in the form, and
    # `X-MSS-MES: FIN` (the patient may not reply).
    ins: str = ""
    closes_exchange: bool = False


def encoded_size(raw_bytes: int) -> int:
    """Size of `raw_bytes` in base64 with 76-character lines and CRLF (the worst case)."""
    return -(-raw_bytes // 57) * 78


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",") + " Mo"


def check_sizes(
    files: list[tuple[str, int]], *, body: str = "", max_bytes: int | None = None
) -> None:
    """Refuse, before anything is read or built, attachments that cannot fit in a message.

    `files` are (name, size in bytes) pairs; the limit is the platform's largest message
    (CADUCEE_SMTP_MAX_BYTES), the attachments counted once encoded in base64.
    """
    limit = int(settings.SMTP_MAX_BYTES if max_bytes is None else max_bytes)
    total = HEADERS_ROOM + encoded_size(len(body.encode("utf-8", "replace")))
    problems: list[Problem] = []
    for name, size in files:
        if HEADERS_ROOM + encoded_size(size) > limit:
            problems.append(
                Problem(
                    "attachments",
                    "too_large",
                    f"La pièce jointe « {sanitise_filename(name)} » ({megabytes(size)}) dépasse "
                    f"la taille maximale d'un message ({megabytes(limit)} une fois encodé, soit "
                    f"environ {megabytes((limit - HEADERS_ROOM) * 57 // 78)} de fichiers) : "
                    "réduisez-la ou envoyez-la par un autre moyen.",
                )
            )
        total += encoded_size(size)
    if not problems and total > limit:
        problems.append(
            Problem(
                "attachments",
                "too_large",
                f"Les pièces jointes font ensemble {megabytes(sum(s for _, s in files))} : un "
                f"message ne peut pas dépasser {megabytes(limit)} une fois encodé. Retirez-en "
                "ou répartissez-les sur plusieurs messages.",
            )
        )
    if problems:
        raise Invalid(problems[0].message, problems)


def check_headers(draft: Draft) -> None:
    """Header fields are one line each: a line break is a form error, never a 500."""
    problems: list[Problem] = []
    if _LINE_BREAK.search(draft.subject):
        problems.append(
            Problem(
                "subject",
                "line_break",
                "L'objet ne doit pas contenir de retour à la ligne : écrivez-le sur une seule "
                "ligne.",
            )
        )
    for name, addresses in (("to", draft.to), ("cc", draft.cc), ("bcc", draft.bcc)):
        for address in addresses:
            if _LINE_BREAK.search(address):
                problems.append(
                    Problem(
                        name,
                        "line_break",
                        f"Destinataire « {' '.join(address.split())} » : une adresse ne doit pas "
                        "contenir de retour à la ligne.",
                    )
                )
    for name, label in (("in_reply_to", "In-Reply-To"), ("references", "References")):
        if _LINE_BREAK.search(getattr(draft, name)):
            problems.append(
                Problem(
                    name,
                    "line_break",
                    f"L'en-tête {label} (message auquel vous répondez) ne doit pas contenir de "
                    "retour à la ligne : rouvrez la réponse depuis le message reçu.",
                )
            )
    if problems:
        raise Invalid(problems[0].message, problems)


def compose(
    draft: Draft,
    *,
    include_bcc: bool = False,
    domain: str = "localhost",
    max_bytes: int | None = None,
) -> bytes:
    """The RFC 5322 message of a draft; Invalid (French) for a header with a line break or a
    message over the platform's largest size (CADUCEE_SMTP_MAX_BYTES), checked on the
    attachments' sizes before the message is built, then on the result."""
    limit = int(settings.SMTP_MAX_BYTES if max_bytes is None else max_bytes)
    check_headers(draft)
    check_sizes(
        [(a.filename, len(a.data)) for a in draft.attachments], body=draft.body, max_bytes=limit
    )
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = Address(display_name=draft.sender_name, addr_spec=draft.sender)
    if draft.to:
        msg["To"] = ", ".join(draft.to)
    if draft.cc:
        msg["Cc"] = ", ".join(draft.cc)
    if include_bcc and draft.bcc:
        msg["Bcc"] = ", ".join(draft.bcc)
    msg["Subject"] = draft.subject
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = make_msgid(domain=domain)
    if draft.in_reply_to:
        msg["In-Reply-To"] = draft.in_reply_to
        msg["References"] = (draft.references + " " + draft.in_reply_to).strip()
    for name, value in draft.extra_headers.items():
        msg[name] = value
    msg.set_content(draft.body or "")
    for attachment in draft.attachments:
        content_type = attachment.content_type.strip().lower()
        if not _CONTENT_TYPE.match(content_type):
            content_type = "application/octet-stream"
        maintype, _, subtype = content_type.partition("/")
        if maintype in {"text", "multipart"}:
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype,
            filename=sanitise_filename(attachment.filename),
        )
    data = msg.as_bytes()
    if len(data) > limit:
        raise Invalid(
            f"Le message fait {megabytes(len(data))} une fois encodé : la taille maximale est "
            f"{megabytes(limit)}. Retirez des pièces jointes ou raccourcissez le texte.",
            [Problem("attachments", "too_large", "Message trop volumineux.")],
        )
    return data


def quote(text: str) -> str:
    return "\n".join("> " + line for line in text.splitlines())
