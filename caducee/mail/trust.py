"""The MSSanté trust space on the inbound MTA: who may hand this platform a message.

Mail from another operator is accepted only (docs/MESSAGING.md, "Inbound (MTA)"):
- over TLS 1.2 or later (STARTTLS);
- with a client certificate chained to the trust anchors (CADUCEE_SMTP_TRUST_ANCHORS,
  IGC-Santé in production): OpenSSL checks the chain during the handshake;
- from a whitelisted domain whose operator DN (`DNCertificatOperateur`) is the subject of
  that certificate, for the envelope sender and for every `From:` / `Sender:` address;
- never claiming one of this platform's own domains: those enter through authenticated
  submission only.

Each check is a plain function returning a refusal (an SMTP reply) or None; the handlers
log the refusals. Distinguished names are compared as sets of (attribute OID, value),
values with spaces collapsed and case folded, in any order (see `dn_key`).
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from functools import lru_cache

from cryptography import x509
from cryptography.x509.oid import NameOID
from django.conf import settings

from caducee.mail import addresses, mime
from caducee.mail.models import WhitelistDomain

log = logging.getLogger("caducee.mail.trust")

DnKey = tuple[tuple[str, str], ...]

NO_TLS = "530 5.7.0 Commencez par STARTTLS : TLS 1.2 ou plus est exigé entre opérateurs"
NOT_CONFIGURED = (
    "454 4.7.0 Réception entre opérateurs non configurée sur ce serveur "
    "(ancres de confiance absentes), réessayez plus tard"
)
NO_CERTIFICATE = "530 5.7.0 Certificat client exigé (IGC-Santé, espace de confiance MSSanté)"
OWN_DOMAIN = (
    "550 5.7.1 Le domaine {domain} appartient à cette plateforme : "
    "ses utilisateurs envoient par la soumission authentifiée"
)
# Outgoing delivery (delivery.py): the receiving server of a whitelisted domain.
PEER_NO_CERTIFICATE = "{host}:{port} n'a présenté aucun certificat serveur (domaine {domain})"
PEER_WRONG_OPERATOR = (
    "le certificat de {host}:{port} ({subject}) ne correspond pas à l'opérateur du domaine "
    "{domain} dans la liste blanche MSSanté : message retenu ; vérifiez la liste blanche "
    "(caducee mail whitelist) ou la route configurée (CADUCEE_SMTP_ROUTES)"
)
NOT_WHITELISTED = "550 5.7.1 Le domaine {domain} n'est pas dans la liste blanche MSSanté"
WRONG_OPERATOR = (
    "550 5.7.1 Le certificat client ne correspond pas à l'opérateur du domaine {domain} "
    "(liste blanche MSSanté)"
)
ONE_FROM = "550 5.7.1 Le message doit porter exactement un en-tête From"
BAD_HEADER_ADDRESS = "550 5.7.1 Adresse illisible dans l'en-tête {header}"

# RFC 4514 short names and the usual spellings of certificate tools (OpenSSL, Windows).
_ATTRIBUTES = {
    "CN": NameOID.COMMON_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "C": NameOID.COUNTRY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "S": NameOID.STATE_OR_PROVINCE_NAME,
    "L": NameOID.LOCALITY_NAME,
    "STREET": NameOID.STREET_ADDRESS,
    "DC": NameOID.DOMAIN_COMPONENT,
    "UID": NameOID.USER_ID,
    "E": NameOID.EMAIL_ADDRESS,
    "EMAIL": NameOID.EMAIL_ADDRESS,
    "EMAILADDRESS": NameOID.EMAIL_ADDRESS,
    "SERIALNUMBER": NameOID.SERIAL_NUMBER,
    "SN": NameOID.SURNAME,
    "GN": NameOID.GIVEN_NAME,
    "T": NameOID.TITLE,
    "TITLE": NameOID.TITLE,
    "ORGANIZATIONIDENTIFIER": NameOID.ORGANIZATION_IDENTIFIER,
}


def _value(text: str) -> str:
    return " ".join(text.split()).casefold()


def _split(text: str, separators: str) -> list[str]:
    """Split on separators not escaped by a backslash nor inside double quotes."""
    parts, current, escaped, quoted = [], [], False, False
    for char in text:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
            current.append(char)
        elif char in separators and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _unescape(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        raw = raw[1:-1]
    out, i = bytearray(), 0
    while i < len(raw):
        char = raw[i]
        if char == "\\" and i + 1 < len(raw):
            pair = raw[i + 1 : i + 3]
            if len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair):
                out.append(int(pair, 16))
                i += 3
                continue
            out.extend(raw[i + 1].encode())
            i += 2
            continue
        out.extend(char.encode())
        i += 1
    return out.decode("utf-8", "replace")


@lru_cache(maxsize=1024)
def dn_key(text: str) -> DnKey | None:
    """`CN=x, OU=1,O=Y` (RFC 4514 or OpenSSL's `/C=FR/O=Y/CN=x`) as a comparable key;
    None when it cannot be read. Order, spaces around separators and case are ignored."""
    text = text.strip()
    if text.startswith("/"):
        text = ",".join(part for part in _split(text[1:], "/") if part)
    pairs: list[tuple[str, str]] = []
    for part in _split(text, ",;+"):
        if not part.strip():
            continue
        name, sep, raw = part.partition("=")
        name = name.strip().upper()
        if not sep or not name:
            return None
        oid = _ATTRIBUTES.get(name)
        dotted = oid.dotted_string if oid is not None else name.removeprefix("OID.")
        if not all(c.isdigit() or c == "." for c in dotted):
            return None
        pairs.append((dotted, _value(_unescape(raw))))
    return tuple(sorted(pairs)) or None


def certificate_key(certificate: x509.Certificate) -> DnKey:
    pairs = []
    for attribute in certificate.subject:
        value = attribute.value
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        pairs.append((attribute.oid.dotted_string, _value(text)))
    return tuple(sorted(pairs))


@dataclass(frozen=True)
class Peer:
    """What the TLS session says about the connecting server."""

    tls_version: str = ""  # "" without TLS
    subject: DnKey | None = None  # the verified client certificate's subject
    subject_text: str = ""  # for the logs

    @property
    def encrypted(self) -> bool:
        return self.tls_version in {"TLSv1.2", "TLSv1.3"}


def peer_of(session_ssl: dict[str, object] | None) -> Peer:
    """Read the peer from aiosmtpd's `session.ssl` (the TLS transport's extra info)."""
    if not session_ssl:
        return Peer()
    ssl_object = session_ssl.get("ssl_object")
    if not isinstance(ssl_object, ssl.SSLObject | ssl.SSLSocket):
        return Peer()
    version = ssl_object.version() or ""
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return Peer(version)
    certificate = x509.load_der_x509_certificate(der)
    return Peer(version, certificate_key(certificate), certificate.subject.rfc4514_string())


def operator_keys(domain: str) -> set[DnKey] | None:
    """The operator DNs the whitelist gives this domain; None when it is not listed."""
    raw = WhitelistDomain.objects.filter(name=domain.lower()).values_list("operator_dn", flat=True)
    rows = list(raw)
    if not rows:
        return None
    keys: set[DnKey] = set()
    for text in rows[0].splitlines():
        if not text.strip():
            continue
        key = dn_key(text)
        if key is None:
            log.warning("whitelist: unreadable operator DN %r for %s", text, domain)
        else:
            keys.add(key)
    return keys


def check_domain(peer: Peer, domain: str) -> str | None:
    """A domain a message claims to come from: not ours, whitelisted, sent by its operator."""
    domain = domain.lower()
    if addresses.is_platform_domain(domain):
        return OWN_DOMAIN.format(domain=domain)
    keys = operator_keys(domain)
    if keys is None:
        return NOT_WHITELISTED.format(domain=domain)
    if peer.subject is None or peer.subject not in keys:
        return WRONG_OPERATOR.format(domain=domain)
    return None


def check_session(peer: Peer) -> str | None:
    """Before any sender: TLS, configured anchors, and a verified client certificate."""
    if not peer.encrypted:
        return NO_TLS
    if not settings.SMTP_TRUST_ANCHORS:
        return NOT_CONFIGURED
    if peer.subject is None:
        return NO_CERTIFICATE
    return None


def check_sender(peer: Peer, address: str) -> str | None:
    """MAIL FROM. The null sender (bounces) is checked on its `From:` at DATA."""
    refusal = check_session(peer)
    if refusal is not None or not address:
        return refusal
    return check_domain(peer, addresses.domain_of(address))


def check_headers(
    peer: Peer, data: bytes, check: Callable[[Peer, str], str | None] | None = None
) -> str | None:
    """DATA: exactly one `From:`; each `From:` and `Sender:` address passes `check_domain`
    (or `check`, the same verdicts remembered by the SMTP service)."""
    block, _ = mime.header_block(data)
    return check_header_fields(peer, BytesHeaderParser(policy=compat32).parsebytes(block), check)


def check_header_fields(
    peer: Peer, headers: Message, check: Callable[[Peer, str], str | None] | None = None
) -> str | None:
    """`check_headers` on a message already parsed (compat32: `mime.summary_message`)."""
    check = check or check_domain
    froms = headers.get_all("From") or []
    if len(froms) != 1:
        return ONE_FROM
    checked: set[str] = set()
    for header in ("From", "Sender"):
        values = [str(v) for v in headers.get_all(header) or []]
        if not values:
            continue
        found = [addresses.normalise(addr) for _, addr in getaddresses(values)]
        if not found or "" in found:
            return BAD_HEADER_ADDRESS.format(header=header)
        for addr in found:
            domain = addresses.domain_of(addr)
            if domain in checked:
                continue
            refusal = check(peer, domain)
            if refusal is not None:
                return refusal
            checked.add(domain)
    return None


def check_receiving_peer(der: bytes | None, domain: str, host: str, port: int) -> str | None:
    """Outgoing delivery to a whitelisted domain: the server's certificate (already verified
    by TLS) must be one the whitelist gives the domain's operator (`DNCertificatOperateur`);
    the French reason otherwise. None for a domain the whitelist does not list (a route
    the operator configured, CADUCEE_SMTP_ROUTES)."""
    keys = operator_keys(domain)
    if keys is None:
        return None
    if not der:
        return PEER_NO_CERTIFICATE.format(host=host, port=port, domain=domain)
    certificate = x509.load_der_x509_certificate(der)
    if certificate_key(certificate) not in keys:
        return PEER_WRONG_OPERATOR.format(
            host=host, port=port, domain=domain, subject=certificate.subject.rfc4514_string()
        )
    return None


def is_whitelisted(domain: str) -> bool:
    return WhitelistDomain.objects.filter(name=domain.lower()).exists()
