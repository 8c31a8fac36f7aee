"""Error pages (404, 403, 400, 500) load nothing from another host: they must show on an
offline network, and behind the CSP."""

from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client, RequestFactory

from caducee.console import errors

EXTERNAL = re.compile(r"""(?:https?:)?//(?!testserver[/"'])[^\s"'<>]+""")
RESOURCES = re.compile(r"""(?:src|href)="([^"]+)\"""")


def _check_local(client: Client, response: HttpResponseBase) -> None:
    assert isinstance(response, HttpResponse)
    page = response.content.decode()
    assert "<html" in page
    assert EXTERNAL.findall(page) == []
    for resource in RESOURCES.findall(page):
        assert resource.startswith("/"), resource
        if resource.startswith("/static/"):
            assert client.get(resource).status_code == 200, resource


def test_the_404_page(client: Client, db: None) -> None:
    response = client.get("/page-qui-n-existe-pas/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
    _check_local(client, response)


@pytest.mark.parametrize(
    ("handler", "status"),
    [(errors.forbidden, 403), (errors.bad_request, 400)],
)
def test_the_403_and_400_pages(client: Client, db: None, handler: object, status: int) -> None:
    request = RequestFactory().get("/")
    response = handler(request, None)  # type: ignore[operator]
    assert response.status_code == status
    _check_local(client, response)


def test_the_500_page(client: Client, db: None) -> None:
    response = errors.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    _check_local(client, response)
