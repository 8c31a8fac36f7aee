"""« Mes exports » (page, htmx partial and API list) costs the same for 2 exports as for 12."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from caducee.core.context import Context
from caducee.exports.operations import request_export
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.helpers import bearer_client, client_for

pytestmark = pytest.mark.django_db


def _ask(user: User, structure: Structure, count: int) -> None:
    for _ in range(count):
        request_export(Context(user=user), structure, "accounts", "csv")


def _queries(client: Client, url: str, **headers: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("where", ["page", "partial", "api"])
def test_the_export_list_does_not_grow_with_exports(
    structure_a: Structure, alice: User, where: str
) -> None:
    client = bearer_client(alice) if where == "api" else client_for(alice)
    url = "/api/v1/exports" if where == "api" else reverse("exports:mine")
    headers = {"HX-Request": "true"} if where == "partial" else {}
    _ask(alice, structure_a, 2)
    _queries(client, url, **headers)  # warm-up: the session's first request writes to it
    few = _queries(client, url, **headers)
    _ask(alice, structure_a, 10)
    assert _queries(client, url, **headers) == few
