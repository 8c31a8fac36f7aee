"""A message's MIME tree read from its exact bytes, for FETCH: ENVELOPE, BODYSTRUCTURE and
the sections (BODY[1.2.MIME], BODY[HEADER.FIELDS (…)], …), each a slice of the stored file
so that sizes and contents always agree."""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass, field
from email.message import Message as EmailMessage
from email.parser import BytesHeaderParser
from email.policy import compat32

from caducee.mail.imap.wire import plist, quote

_BLANK = re.compile(rb"\r?\n\r?\n")


@dataclass
class Node:
    header: bytes  # with the blank line that ends it
    body: bytes
    headers: EmailMessage
    children: list[Node] = field(default_factory=list)
    message: Node | None = None  # the message inside a message/rfc822 part

    @property
    def ctype(self) -> tuple[str, str]:
        maintype = self.headers.get_content_maintype()
        subtype = self.headers.get_content_subtype()
        return maintype, subtype


def split_header(raw: bytes) -> tuple[bytes, bytes]:
    """(header with its closing blank line, body) of a message or part."""
    if raw.startswith(b"\r\n"):
        return b"\r\n", raw[2:]
    if raw.startswith(b"\n"):
        return b"\n", raw[1:]
    match = _BLANK.search(raw)
    if match is None:
        return raw, b""
    return raw[: match.end()], raw[match.end() :]


def parse(raw: bytes, default: str = "text/plain") -> Node:
    header, body = split_header(raw)
    headers = BytesHeaderParser(policy=compat32).parsebytes(header)
    if "content-type" not in headers:
        headers.set_default_type(default)
    node = Node(header, body, headers)
    maintype, subtype = node.ctype
    if maintype == "multipart":
        boundary = headers.get_param("boundary")
        if isinstance(boundary, str) and boundary:
            child_default = "message/rfc822" if subtype == "digest" else "text/plain"
            node.children = [parse(p, child_default) for p in _split(body, boundary.encode())]
    elif (maintype, subtype) == ("message", "rfc822"):
        node.message = parse(body)
    return node


def _split(body: bytes, boundary: bytes) -> list[bytes]:
    delimiter = re.compile(rb"(?:^|\r?\n)--" + re.escape(boundary) + rb"(--)?[ \t]*(?:\r?\n|$)")
    parts: list[bytes] = []
    start: int | None = None
    for match in delimiter.finditer(body):
        if start is not None:
            parts.append(body[start : match.start()])
        if match.group(1):
            break
        start = match.end()
    return parts


def _h(headers: EmailMessage, name: str) -> str | None:
    value = headers.get(name)
    return None if value is None else str(value)


def _addresses(headers: EmailMessage, name: str) -> bytes:
    values = headers.get_all(name)
    if not values:
        return b"NIL"
    items = []
    for display, address in email.utils.getaddresses([str(v) for v in values]):
        if not address and not display:
            continue
        local, _, domain = address.rpartition("@") if "@" in address else (address, "", "")
        items.append(
            plist([quote(display or None), b"NIL", quote(local or None), quote(domain or None)])
        )
    return plist(items) if items else b"NIL"


def envelope(node: Node) -> bytes:
    h = node.headers
    sender = _addresses(h, "sender") if h.get("sender") else _addresses(h, "from")
    reply_to = _addresses(h, "reply-to") if h.get("reply-to") else _addresses(h, "from")
    return plist(
        [
            quote(_h(h, "date")),
            quote(_h(h, "subject")),
            _addresses(h, "from"),
            sender,
            reply_to,
            _addresses(h, "to"),
            _addresses(h, "cc"),
            _addresses(h, "bcc"),
            quote(_h(h, "in-reply-to")),
            quote(_h(h, "message-id")),
        ]
    )


def _params(headers: EmailMessage, name: str = "content-type") -> bytes:
    params = headers.get_params(header=name) or []
    pairs = [(k, v) for k, v in params[1:] if isinstance(k, str)]
    if not pairs:
        return b"NIL"
    items: list[bytes] = []
    for key, value in pairs:
        text = email.utils.collapse_rfc2231_value(value) if isinstance(value, tuple) else value
        items += [quote(key.upper()), quote(str(text))]
    return plist(items)


def _disposition(headers: EmailMessage) -> bytes:
    value = headers.get("content-disposition")
    if value is None:
        return b"NIL"
    kind = str(value).split(";", 1)[0].strip().upper() or "ATTACHMENT"
    return plist([quote(kind), _params(headers, "content-disposition")])


def bodystructure(node: Node, extended: bool = True) -> bytes:
    maintype, subtype = node.ctype
    h = node.headers
    if node.children:
        items = [bodystructure(c, extended) for c in node.children]
        tail = [quote(subtype.upper())]
        if extended:
            tail += [_params(h), _disposition(h), b"NIL", b"NIL"]
        return b"(" + b"".join(items) + b" " + b" ".join(tail) + b")"
    fields = [
        quote(maintype.upper()),
        quote(subtype.upper()),
        _params(h),
        quote(_h(h, "content-id")),
        quote(_h(h, "content-description")),
        quote((_h(h, "content-transfer-encoding") or "7BIT").strip().upper()),
        str(len(node.body)).encode(),
    ]
    lines = str(node.body.count(b"\n") + (0 if node.body.endswith(b"\n") or not node.body else 1))
    if node.message is not None:
        fields += [envelope(node.message), bodystructure(node.message, extended), lines.encode()]
    elif maintype == "text":
        fields.append(lines.encode())
    if extended:
        fields += [b"NIL", _disposition(h), b"NIL", b"NIL"]
    return plist(fields)


def _part(node: Node, numbers: list[int]) -> Node | None:
    for number in numbers:
        if node.message is not None and not node.children:
            node = node.message
        if node.children:
            if not 1 <= number <= len(node.children):
                return None
            node = node.children[number - 1]
        elif number != 1:
            return None
    return node


def _fields(header: bytes, names: list[str], keep: bool) -> bytes:
    wanted = {n.lower() for n in names}
    out: list[bytes] = []
    current: list[bytes] = []
    take = False
    for line in header.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t") and current:
            current.append(line)
            continue
        if current and take:
            out.extend(current)
        current = [line]
        name = line.split(b":", 1)[0].strip().decode("ascii", "replace").lower()
        take = (name in wanted) == keep and b":" in line
    if current and take:
        out.extend(current)
    return b"".join(out) + b"\r\n"


def section(raw: bytes, spec: str, names: list[str]) -> bytes | None:
    """The bytes of a FETCH section ("", "HEADER", "1.2.TEXT", "HEADER.FIELDS" with
    `names`…), or None when the part does not exist."""
    if spec == "":
        return raw
    if spec in ("HEADER", "TEXT", "HEADER.FIELDS", "HEADER.FIELDS.NOT"):  # no MIME parsing
        header, body = split_header(raw)
        if spec == "TEXT":
            return body
        if spec == "HEADER":
            return header
        return _fields(header, names, spec == "HEADER.FIELDS")
    pieces = spec.split(".")
    numbers: list[int] = []
    while pieces and pieces[0].isdigit():
        numbers.append(int(pieces.pop(0)))
    kind = ".".join(pieces)
    root = parse(raw)
    node = _part(root, numbers) if numbers else root
    if node is None:
        return None
    if numbers and kind in ("HEADER", "TEXT", "HEADER.FIELDS", "HEADER.FIELDS.NOT"):
        if node.message is None:
            return None
        node = node.message
    if kind == "":
        return node.body if numbers else raw
    if kind == "MIME":
        return node.header if numbers else None
    if kind == "HEADER":
        return node.header
    if kind == "TEXT":
        return node.body
    if kind == "HEADER.FIELDS":
        return _fields(node.header, names, True)
    if kind == "HEADER.FIELDS.NOT":
        return _fields(node.header, names, False)
    return None
