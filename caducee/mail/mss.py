"""The MSSanté message headers (Réf. #2 §3.8 and §3.4.2.3; docs/MESSAGING.md, « En-têtes
MSSanté ») and the rules they carry.

- `X-MSS-NIL`: the product reference (CADUCEE_MSS_NIL), on every message the platform
  sends, whatever wrote it (webmail, API, mail client, automatic reply);
- `X-MSS-CODECDA`: the type codes of the CDA documents attached, comma-separated. A CDA is
  an XML attachment whose root is HL7 v3 `ClinicalDocument`; its type code is the `code`
  attribute of its `code` element (a LOINC code, e.g. `11488-4`);
- `X-MSS-INS`: `O` when the message carries the patient's INS (the « INS du patient »
  field of the compose form or the API, or an INS identifier in an attached CDA), `N` when
  it carries a CDA without one; absent on a message with neither. The INS typed in the
  form travels in `X-Caducee-INS` so that the recipient sees it;
- `X-MSS-MES: FIN`: the sender closes the exchange; a patient (`@patient.mssante.fr`)
  replying to such a message is refused (`patient_reply_refusal`).

A message submitted ready-made (SMTP submission, raw API) keeps the `X-MSS-CODECDA` /
`X-MSS-INS` its software wrote when the platform finds no CDA it can read (an IHE XDM
archive, for instance); what the platform finds wins otherwise. `X-MSS-NIL` is always the
platform's own.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # expat >= 2.4 refuses entity expansion bombs
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32

from django.conf import settings
from stdnum.fr import nir

from caducee.core.errors import Invalid, Problem
from caducee.mail import addresses, mime, store
from caducee.mail.models import Message, SystemFolder

NIL = "X-MSS-NIL"
CODECDA = "X-MSS-CODECDA"
INS = "X-MSS-INS"
MES = "X-MSS-MES"
INS_VALUE = "X-Caducee-INS"
END = "FIN"
MSS_HEADERS = (NIL, CODECDA, INS, MES, INS_VALUE)

HL7 = "{urn:hl7-org:v3}"
# INS identifiers in a CDA's patientRole/id (ANS, « CI-SIS », INS OIDs): the NIR, the NIA,
# and their test counterparts.
INS_OIDS = frozenset(
    {"1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"}
)
XML_TYPES = frozenset(
    {"text/xml", "application/xml", "application/hl7-cda+xml", "application/hl7-v3+xml"}
)
CDA_MAX_BYTES = 20 * 1024 * 1024
_CODE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class Cda:
    code: str  # the document type code ("" when the CDA has none)
    has_ins: bool


def read_cda(attachment: mime.Attachment) -> Cda | None:
    """The attachment as a CDA document, or None when it is not one."""
    name = attachment.filename.lower()
    if attachment.content_type.lower() not in XML_TYPES and not name.endswith(".xml"):
        return None
    data = attachment.data
    if not data or len(data) > CDA_MAX_BYTES or b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return None
    try:
        root = ET.fromstring(data)  # noqa: S314 - DOCTYPE/ENTITY refused above
    except ET.ParseError:
        return None
    if root.tag != f"{HL7}ClinicalDocument":
        return None
    node = root.find(f"{HL7}code")
    code = (node.get("code") or "").strip() if node is not None else ""
    ids = root.findall(f"{HL7}recordTarget/{HL7}patientRole/{HL7}id")
    has_ins = any((i.get("root") or "") in INS_OIDS and (i.get("extension") or "") for i in ids)
    return Cda(code if _CODE.match(code) else "", has_ins)


def check_ins(value: str) -> str:
    """The INS typed in the compose form (the patient's NIR, 15 characters with its key),
    spaces removed; "" when empty; Invalid (French) when it is not a valid NIR."""
    compact = "".join(value.split())
    if not compact:
        return ""
    try:
        return str(nir.validate(compact))
    except Exception:  # stdnum's ValidationError family
        raise Invalid(
            f"INS du patient « {value.strip()} » invalide : saisissez le matricule INS "
            "(NIR) à 15 caractères, clé comprise, tel qu'il figure sur la carte Vitale ou "
            "le téléservice INSi.",
            [Problem("ins", "invalid", "INS invalide.")],
        ) from None


@dataclass(frozen=True)
class Stamp:
    """The MSSanté headers of one outgoing message."""

    codes: tuple[str, ...] = ()
    has_cda: bool = False
    has_ins: bool = False
    ins_value: str = ""
    end: bool = False

    def headers(self) -> list[tuple[str, str]]:
        found = [(NIL, str(settings.MSS_NIL))]
        if self.codes:
            found.append((CODECDA, ",".join(self.codes)))
        if self.has_cda or self.has_ins:
            found.append((INS, "O" if self.has_ins else "N"))
        if self.ins_value:
            found.append((INS_VALUE, self.ins_value))
        if self.end:
            found.append((MES, END))
        return found


def stamp_for(attachments: list[mime.Attachment], *, ins: str = "", end: bool = False) -> Stamp:
    """What the attachments and the form say: CDA codes (in order, once each), INS."""
    cdas = [c for c in (read_cda(a) for a in attachments) if c is not None]
    codes = tuple(dict.fromkeys(c.code for c in cdas if c.code))
    return Stamp(
        codes=codes,
        has_cda=bool(cdas),
        has_ins=bool(ins) or any(c.has_ins for c in cdas),
        ins_value=ins,
        end=end,
    )


def draft_headers(draft: mime.Draft, *, ins: str = "", end: bool = False) -> None:
    """Set the MSSanté headers of a message composed by the platform (webmail, API)."""
    for name in MSS_HEADERS:
        draft.extra_headers.pop(name, None)
    for name, value in stamp_for(draft.attachments, ins=check_ins(ins), end=end).headers():
        draft.extra_headers[name] = value


def _split(data: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    """(head, separator, body, line ending) of a message's bytes."""
    head, sep, body = data.partition(b"\r\n\r\n")
    eol = b"\r\n"
    if not sep:
        head, sep, body = data.partition(b"\n\n")
        eol = b"\n"
    return head, sep, body, eol


def without_headers(data: bytes, names: set[bytes]) -> bytes:
    """The message without the header fields named (lower-case, no colon), folded lines
    included."""
    head, sep, body, _ = _split(data)
    kept: list[bytes] = []
    skipping = False
    for line in head.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                kept.append(line)
            continue
        skipping = line.split(b":", 1)[0].strip().lower() in names
        if not skipping:
            kept.append(line)
    return b"".join(kept) + sep + body


def stamp_raw(data: bytes, parsed: mime.Parsed) -> bytes:
    """Set the MSSanté headers of a message submitted ready-made (SMTP submission, API):
    the platform's NIL; the CDA codes and INS it finds, else those its software wrote;
    `X-MSS-MES: FIN` and a valid `X-Caducee-INS` as written."""
    found = stamp_for(parsed.attachments)
    head, _, _, eol = _split(data)
    headers = BytesHeaderParser(policy=compat32).parsebytes(head + eol + eol)

    def value(name: str) -> str:
        return " ".join(str(headers.get(name, "")).split())

    fields: list[tuple[str, str]] = [(NIL, str(settings.MSS_NIL))]
    if found.has_cda:
        fields += [(n, v) for n, v in found.headers() if n in {CODECDA, INS}]
    else:  # the software's own values, for documents the platform cannot read
        fields += [(n, value(n)) for n in (CODECDA, INS) if value(n)]
    try:
        ins_value = check_ins(value(INS_VALUE))
    except Invalid:
        ins_value = ""
    if ins_value:
        fields.append((INS_VALUE, ins_value))
    if value(MES).upper() == END:
        fields.append((MES, END))
    clean = without_headers(data, {n.lower().encode() for n in MSS_HEADERS})
    return b"".join(f"{n}: {v}".encode("ascii", "replace") + eol for n, v in fields) + clean


@dataclass(frozen=True)
class Shown:
    """What the recipient is shown of a message's MSSanté headers (message view, API)."""

    cda_codes: list[str]
    ins: str  # "O", "N" or ""
    ins_value: str
    end: bool


def shown(data: bytes) -> Shown:
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    headers = BytesHeaderParser(policy=compat32).parsebytes(head + b"\r\n\r\n")

    def value(name: str) -> str:
        return " ".join(str(headers.get(name, "")).split())

    codes = [c.strip() for c in value(CODECDA).split(",") if _CODE.match(c.strip())]
    ins = value(INS).upper()
    ins_value = value(INS_VALUE)
    return Shown(
        cda_codes=codes,
        ins=ins if ins in {"O", "N"} else "",
        ins_value=ins_value if ins_value.isalnum() and len(ins_value) <= 15 else "",
        end=value(MES).upper() == END,
    )


PATIENT_REPLY_BLOCKED = (
    "Réponse refusée : le professionnel a clos cet échange (X-MSS-MES: FIN), le patient "
    "ne peut pas y répondre. Pour le recontacter, écrivez-lui un nouveau message ou "
    "contactez son cabinet."
)


def patient_reply_refusal(parsed: mime.Parsed, mailbox_ids: list[int]) -> str:
    """A patient (`From:` @CADUCEE_PATIENT_DOMAIN) replying to a message one of these
    mailboxes sent with `X-MSS-MES: FIN`: the French reason of the refusal, else ""."""
    sender = addresses.normalise(parsed.sender)
    if addresses.domain_of(sender) != settings.PATIENT_DOMAIN:
        return ""
    refs = set(parsed.references.split()) | set(parsed.in_reply_to.split())
    if not refs or not mailbox_ids:
        return ""
    paths = (
        Message.objects.filter(mailbox_id__in=mailbox_ids, message_id__in=list(refs)[:100])
        .exclude(folder=SystemFolder.DRAFTS)
        .values_list("path", flat=True)
    )
    for path in paths:
        try:
            data = store.read(path)
        except (OSError, ValueError):
            continue
        if shown(data).end:
            return PATIENT_REPLY_BLOCKED
    return ""
