"""Who is on the other end of a request: its address, its scheme, its client certificate.

Behind a reverse proxy the direct peer (REMOTE_ADDR) is the proxy. Only a peer listed in
CADUCEE_TRUSTED_PROXIES (addresses or networks) may tell us more, through the headers nginx
sets (deploy/nginx/caducee.conf):
- `X-Forwarded-For`: the client address is the rightmost hop that is not a trusted proxy;
- `X-Forwarded-Proto`: `https` when the proxy terminated TLS;
- `X-Client-Verify` / `X-Client-DN`: the proxy's verdict on a client certificate;
  `X-Client-Cert`: that certificate (PEM, URL-escaped: nginx's `$ssl_client_escaped_cert`),
  read for its serial, issuer and subject attributes (CPS cards, partner certificates).
From any other peer these headers are ignored. Every reader of the client address uses
`client_address` (throttling, audit, the first-run page), never REMOTE_ADDR directly.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from django.conf import settings

from caducee.config import ConfigError

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"
FORWARDED_PROTO = "HTTP_X_FORWARDED_PROTO"
CLIENT_VERIFY = "HTTP_X_CLIENT_VERIFY"
CLIENT_DN = "HTTP_X_CLIENT_DN"
CLIENT_CERT = "HTTP_X_CLIENT_CERT"
CLIENT_HEADERS = (CLIENT_VERIFY, CLIENT_DN, CLIENT_CERT)


def parse_networks(raw: str, name: str = "CADUCEE_TRUSTED_PROXIES") -> tuple[Network, ...]:
    """`10.0.0.5, 192.168.1.0/24, ::1` as networks; a malformed entry is refused in French."""
    networks = []
    for item in raw.split(","):
        entry = item.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=True))
        except ValueError:
            raise ConfigError(
                f"{name} : « {entry} » n'est ni une adresse IP ni un réseau CIDR valide "
                "(exemples : 127.0.0.1, 10.0.0.0/8, ::1)."
            ) from None
    return tuple(networks)


def base_origin(base_url: str) -> str:
    """`https://caducee.example.fr` from CADUCEE_BASE_URL (a trusted CSRF origin)."""
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(
            f"CADUCEE_BASE_URL doit être une adresse http(s)://hôte (valeur lue : {base_url!r})."
        )
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def _address(value: object) -> Address | None:
    if not isinstance(value, str):
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket's view of an IPv4 client
    return address


def _trusted(address: Address) -> bool:
    networks: tuple[Network, ...] = settings.TRUSTED_PROXIES
    return any(address in network for network in networks)


def peer_is_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the direct peer is one of CADUCEE_TRUSTED_PROXIES."""
    peer = _address(request.META.get("REMOTE_ADDR"))
    return peer is not None and _trusted(peer)


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address: the peer, or what trusted proxies say the client was."""
    peer = _address(request.META.get("REMOTE_ADDR"))
    if peer is None:
        return None
    current = peer
    if _trusted(peer):
        hops = [hop for hop in str(request.META.get(FORWARDED_FOR, "")).split(",") if hop.strip()]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:  # a malformed hop: keep the last address a trusted hop gave
                break
            current = address
            if not _trusted(address):
                break
    return str(current)


def forwarded_scheme(request: HttpRequest) -> str | None:
    """`https` or `http` as said by a trusted proxy; None otherwise."""
    if not peer_is_trusted_proxy(request):
        return None
    values = str(request.META.get(FORWARDED_PROTO, "")).split(",")
    scheme = values[-1].strip().lower()  # the nearest proxy's word
    return scheme if scheme in {"http", "https"} else None


def client_is_local(request: HttpRequest) -> bool:
    """The client runs on this machine (the first-run page is offered to it only).

    A loopback peer that forwards for someone else without being a trusted proxy is a
    proxy nobody declared: every client would look local, so none is.
    """
    address = _address(client_address(request))
    if address is None or not address.is_loopback:
        return False
    forwarded = FORWARDED_FOR in request.META or "HTTP_FORWARDED" in request.META
    return peer_is_trusted_proxy(request) or not forwarded


@dataclass(frozen=True)
class ClientCertificate:
    """A client certificate the trusted proxy verified (nginx `ssl_verify_client`)."""

    subject: str  # RFC 2253 distinguished name, as nginx's $ssl_client_s_dn
    pem: str = ""  # the certificate itself, when the proxy passes it (X-Client-Cert)


def client_certificate(request: HttpRequest) -> ClientCertificate | None:
    """The certificate the trusted proxy verified for this request, if any."""
    if not peer_is_trusted_proxy(request):
        return None
    if str(request.META.get(CLIENT_VERIFY, "")).strip() != "SUCCESS":
        return None
    subject = str(request.META.get(CLIENT_DN, "")).strip()
    pem = unquote(str(request.META.get(CLIENT_CERT, "")).strip())
    if "-----BEGIN CERTIFICATE-----" not in pem:
        pem = ""
    return ClientCertificate(subject=subject, pem=pem) if subject else None


class ProxyHeadersMiddleware:
    """First middleware: the scheme a trusted proxy reports becomes the request's scheme
    (so request.is_secure(), CSRF origin checks and secure redirects see https); the
    client-certificate headers of any other peer are dropped before anything reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        scheme = forwarded_scheme(request)
        if scheme is not None:
            request.META["wsgi.url_scheme"] = scheme
        elif not peer_is_trusted_proxy(request):
            for header in CLIENT_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
