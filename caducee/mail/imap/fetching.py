"""FETCH (RFC 3501 §6.4.5): the data items a client asks for, and each one's answer for a
message; INTERNALDATE both ways."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django.utils import timezone

from caducee.mail import store
from caducee.mail.imap import parts, search, wire
from caducee.mail.imap.search import Row
from caducee.mail.imap.wire import BadCommand, Token

SECTION = re.compile(r"^(BODY(?:\.PEEK)?)\[([^\]]*)\](?:<(\d+)(?:\.(\d+))?>)?$", re.IGNORECASE)
MACROS = {
    "ALL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
    "FAST": ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
    "FULL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
}
METADATA: dict[str, Callable[[Row], bytes]] = {
    "UID": lambda row: f"UID {row.uid}".encode(),
    "RFC822.SIZE": lambda row: f"RFC822.SIZE {row.size}".encode(),
    "INTERNALDATE": lambda row: b"INTERNALDATE " + wire.quote(internaldate(row.received_at)),
}
RFC822 = {"RFC822": "", "RFC822.TEXT": "TEXT", "RFC822.HEADER": "HEADER"}
SIMPLE = {
    "UID",
    "FLAGS",
    "RFC822.SIZE",
    "INTERNALDATE",
    "ENVELOPE",
    "BODYSTRUCTURE",
    "BODY",
    "RFC822",
    "RFC822.HEADER",
    "RFC822.TEXT",
}


def fetch_items(token: Token) -> list[str]:
    given = token if isinstance(token, list) else [token]
    items: list[str] = []
    for part in given:
        value = wire.text(part)
        upper = value.upper()
        if upper in MACROS and not isinstance(token, list):
            items += MACROS[upper]
        elif upper in SIMPLE:
            items.append(upper)
        elif SECTION.match(value):
            verb, _, rest = value.partition("[")
            items.append(verb.upper() + "[" + rest.upper())
        else:
            raise BadCommand(f"element de FETCH inconnu : {value}")
    return items


def internaldate(when: dt.datetime) -> str:
    local = timezone.localtime(when)
    month = search.MONTHS[local.month - 1].capitalize()
    return f"{local.day:02d}-{month}-{local.year} {local:%H:%M:%S %z}"


def parse_internaldate(value: str) -> dt.datetime:
    try:
        day_part, time_part, zone = value.strip().split()
        day = search.parse_date(day_part)
        hours, minutes, seconds = (int(x) for x in time_part.split(":"))
        sign = -1 if zone.startswith("-") else 1
        offset = dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])) * sign
        return dt.datetime(
            day.year, day.month, day.day, hours, minutes, seconds, tzinfo=dt.timezone(offset)
        )
    except (ValueError, IndexError):
        raise BadCommand(f"date illisible : {value}") from None


def flags_item(row: Row, draft: bool) -> bytes:
    """FLAGS of a message (`draft`: in the « Brouillons » folder, where all are \\Draft)."""
    return f"FLAGS ({' '.join(row.flags(draft))})".encode()


def fetch_one(row: Row, items: list[str], draft: bool) -> tuple[list[bytes], bool, bool]:
    """The FETCH data of one message; whether it sets \\Seen and reads the body."""
    loaded: list[bytes] = []

    def message() -> bytes:
        if not loaded:
            try:
                loaded.append(store.read(row.path))
            except (OSError, ValueError):
                loaded.append(b"")
        return loaded[0]

    out: list[bytes] = []
    sets_seen = reads_body = False
    for item in items:
        if item == "FLAGS":
            continue  # written last, after a \Seen this FETCH sets
        if item in METADATA:
            out.append(METADATA[item](row))
        elif item == "ENVELOPE":
            out.append(b"ENVELOPE " + parts.envelope(parts.parse(message())))
        elif item in ("BODYSTRUCTURE", "BODY"):
            structure = parts.bodystructure(parts.parse(message()), item == "BODYSTRUCTURE")
            out.append(item.encode() + b" " + structure)
        elif item in RFC822:
            data = parts.section(message(), RFC822[item], []) or b""
            out.append(item.encode() + b" " + b"{%d}\r\n" % len(data) + data)
            sets_seen = reads_body = reads_body or item != "RFC822.HEADER"
        else:
            chunk, peek, body = section_item(item, message)
            out.append(chunk)
            sets_seen = sets_seen or not peek
            reads_body = reads_body or body
    if "FLAGS" in items:
        out.append(flags_item(row, draft))
    return out, sets_seen, reads_body


def section_item(item: str, message: Callable[[], bytes]) -> tuple[bytes, bool, bool]:
    """(response bytes, is a PEEK, reads the body) of BODY[...]<...>."""
    match = SECTION.match(item)
    if match is None:
        raise BadCommand(f"element de FETCH inconnu : {item}")
    verb, spec, start, length = match.groups()
    peek = verb.endswith(".PEEK")
    spec = spec.strip()
    field_names: list[str] = []
    if "(" in spec:
        spec, _, listed = spec.partition("(")
        field_names = listed.rstrip(")").split()
        spec = spec.strip()
    data = parts.section(message(), spec.upper(), field_names) or b""
    label = f"BODY[{match.group(2)}]"
    if start is not None:
        offset = int(start)
        data = data[offset : offset + int(length)] if length else data[offset:]
        label += f"<{offset}>"
    body = not spec.upper().endswith(("HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "MIME"))
    return label.encode() + b" {%d}\r\n" % len(data) + data, peek, body
