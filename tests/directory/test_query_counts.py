"""Lists cost the same number of queries for a few rows as for many (no query per row)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from caducee.core.context import cli_context
from caducee.directory.operations import assign_mssante_address, set_red_list
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.directory.helpers import listed_account
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def _queries(client: object, url: str, **params: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)  # type: ignore[attr-defined]
    assert response.status_code == 200
    return len(captured)


def _people(structure: Structure, start: int, count: int) -> None:
    for n in range(start, start + count):
        account = listed_account(structure, last_name=f"NOM{n:03d}", first_name="Jeanne")
        assign_mssante_address(cli_context(), account, None)


def test_the_search_page_does_not_grow_with_results(structure_a: Structure, charlie: User) -> None:
    client = client_for(charlie)
    url = reverse("directory:search")
    _people(structure_a, 0, 2)
    _queries(client, url)  # warm-up: the session's first request writes to it
    few = _queries(client, url, q="jeanne")
    _people(structure_a, 2, 18)
    many = _queries(client, url, q="jeanne")
    assert many == few


def test_the_correspondence_list_does_not_grow_with_accounts(
    structure_a: Structure, alice: User
) -> None:
    client = client_for(alice)
    url = reverse("directory:correspondences", args=[structure_a.pk])
    _people(structure_a, 0, 2)
    _queries(client, url)  # warm-up: the session's first request writes to it
    few = _queries(client, url)
    _people(structure_a, 2, 10)
    set_red_list(cli_context(), factories.make_account(structure_a, "PER"), True)
    many = _queries(client, url)
    assert many == few


def test_a_truncated_correspondence_list_says_so(
    structure_a: Structure, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caducee.directory import correspondences

    monkeypatch.setattr(correspondences, "SHOWN", 3)
    for _ in range(5):
        factories.make_account(structure_a, "PER")
    url = reverse("directory:correspondences", args=[structure_a.pk])
    page = client_for(alice).get(url).content.decode()
    assert "Seuls les 3 premiers comptes" in page and "sur 5" in page
    assert page.count('class="badge">PER') == 3
