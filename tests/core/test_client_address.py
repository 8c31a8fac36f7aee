"""The client address, scheme and certificate of a request, through trusted proxies only."""

from __future__ import annotations

import ipaddress
from typing import Any
from typing import Any as SettingsWrapper

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from caducee.config import ConfigError
from caducee.core.client_address import (
    ProxyHeadersMiddleware,
    base_origin,
    client_address,
    client_certificate,
    client_is_local,
    forwarded_scheme,
    parse_networks,
)

PROXY = "10.0.0.5"


@pytest.fixture(autouse=True)
def proxies(settings: SettingsWrapper) -> None:
    settings.TRUSTED_PROXIES = parse_networks(f"{PROXY}, 10.1.0.0/16, ::1")


def _request(peer: str, **headers: Any) -> HttpRequest:
    return RequestFactory().get("/", REMOTE_ADDR=peer, **headers)


def test_it_parses_addresses_and_networks() -> None:
    assert parse_networks(" 127.0.0.1 ,10.0.0.0/8,, ::1") == (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    )
    assert parse_networks("") == ()


@pytest.mark.parametrize("raw", ["nginx", "10.0.0.1/8", "300.1.1.1"])
def test_it_refuses_a_malformed_entry_in_french(raw: str) -> None:
    with pytest.raises(ConfigError, match="n'est ni une adresse IP ni un réseau CIDR valide"):
        parse_networks(raw)


def test_the_base_url_gives_the_trusted_origin() -> None:
    assert base_origin("https://caducee.ch-a.fr/console") == "https://caducee.ch-a.fr"
    assert base_origin("http://[::1]:8443") == "http://[::1]:8443"
    with pytest.raises(ConfigError, match="CADUCEE_BASE_URL doit être une adresse"):
        base_origin("caducee.ch-a.fr")


def test_an_untrusted_peer_is_the_client_whatever_it_forwards() -> None:
    request = _request("192.0.2.50", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert client_address(request) == "192.0.2.50"
    assert forwarded_scheme(_request("192.0.2.50", HTTP_X_FORWARDED_PROTO="https")) is None


def test_a_trusted_proxy_names_the_client() -> None:
    request = _request(PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert client_address(request) == "203.0.113.9"


def test_the_rightmost_untrusted_hop_wins_over_what_the_client_wrote() -> None:
    # The client wrote a fake first hop; our two proxies appended what they saw.
    request = _request(PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9, 10.1.2.3")
    assert client_address(request) == "203.0.113.9"


def test_only_proxies_in_the_chain_gives_the_leftmost() -> None:
    assert client_address(_request(PROXY, HTTP_X_FORWARDED_FOR="10.1.0.7, 10.1.0.8")) == (
        "10.1.0.7"
    )


def test_a_malformed_hop_stops_at_the_last_trusted_address() -> None:
    request = _request(PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9, unknown, 10.1.0.8")
    assert client_address(request) == "10.1.0.8"
    assert client_address(_request(PROXY)) == PROXY


def test_an_ipv4_mapped_peer_is_read_as_ipv4() -> None:
    assert client_address(_request("::ffff:10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.9")) == (
        "203.0.113.9"
    )
    assert client_address(_request("not an address")) is None


def test_the_scheme_is_the_nearest_proxys_word() -> None:
    assert forwarded_scheme(_request(PROXY, HTTP_X_FORWARDED_PROTO="http, https")) == "https"
    assert forwarded_scheme(_request(PROXY, HTTP_X_FORWARDED_PROTO="gopher")) is None


def _through_middleware(request: HttpRequest) -> HttpRequest:
    seen: list[HttpRequest] = []

    def view(req: HttpRequest) -> HttpResponse:
        seen.append(req)
        return HttpResponse()

    ProxyHeadersMiddleware(view)(request)
    return seen[0]


def test_the_middleware_makes_a_trusted_https_request_secure() -> None:
    request = _through_middleware(_request(PROXY, HTTP_X_FORWARDED_PROTO="https"))
    assert request.is_secure()
    assert request.build_absolute_uri("/a").startswith("https://")


def test_the_middleware_ignores_an_untrusted_https_claim() -> None:
    assert not _through_middleware(
        _request("192.0.2.50", HTTP_X_FORWARDED_PROTO="https")
    ).is_secure()


CERT = {"HTTP_X_CLIENT_VERIFY": "SUCCESS", "HTTP_X_CLIENT_DN": "CN=Pierre Martin,O=CH A"}


def test_a_certificate_verified_by_a_trusted_proxy_reaches_the_platform() -> None:
    certificate = client_certificate(_through_middleware(_request(PROXY, **CERT)))
    assert certificate is not None and certificate.subject == "CN=Pierre Martin,O=CH A"


def test_certificate_headers_from_an_untrusted_peer_are_dropped() -> None:
    request = _request("192.0.2.50", **CERT)
    assert client_certificate(request) is None  # even without the middleware
    request = _through_middleware(request)
    assert "HTTP_X_CLIENT_VERIFY" not in request.META and "HTTP_X_CLIENT_DN" not in request.META


@pytest.mark.parametrize("verdict", ["NONE", "FAILED:certificate has expired", ""])
def test_an_unverified_certificate_is_none(verdict: str) -> None:
    request = _request(PROXY, HTTP_X_CLIENT_VERIFY=verdict, HTTP_X_CLIENT_DN="CN=x")
    assert client_certificate(request) is None


def test_the_local_client_is_the_one_on_this_machine(settings: SettingsWrapper) -> None:
    assert client_is_local(_request("127.0.0.1"))
    assert not client_is_local(_request("192.0.2.50"))
    # nginx on this machine, declared: the client it forwards for decides.
    assert not client_is_local(_request("::1", HTTP_X_FORWARDED_FOR="203.0.113.9"))
    assert client_is_local(_request("::1", HTTP_X_FORWARDED_FOR="127.0.0.1"))
    # nginx on this machine but not declared: every client would look local, so none is.
    settings.TRUSTED_PROXIES = ()
    assert not client_is_local(_request("127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9"))
