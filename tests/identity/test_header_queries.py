"""Pages cost a small fixed number of SQL queries: the header reads the person's mailboxes
once per request, whatever their number (issue #14, point 6)."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from caducee.accounts.models import Account
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import client_for

HEADER_PAGE_MAX = 10  # session, person, coordination, session generation, view (2), header
CONSOLE_PAGE_MAX = 12


def _queries(client: Client, url: str) -> int:
    client.get(url)  # the first request stamps the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def _link_mailboxes(structure: Structure, pierre: Account, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        factories.make_account(
            structure, "ORG", email=f"boite{i}@ch-a.fr", connection_accounts=pierre.email
        )


def test_the_header_costs_the_same_for_one_or_many_linked_mailboxes(
    structure_a: Structure, pierre: Account
) -> None:
    assert pierre.user is not None
    client = client_for(pierre.user)
    url = reverse("identity:security")
    _link_mailboxes(structure_a, pierre, 1)
    few = _queries(client, url)
    _link_mailboxes(structure_a, pierre, 15, start=1)
    many = _queries(client, url)
    assert "boite15@ch-a.fr" in client.get(url).content.decode()
    assert few == many <= HEADER_PAGE_MAX


def test_a_console_page_costs_the_same_for_few_or_many_accounts(
    structure_a: Structure, alice: User
) -> None:
    client = client_for(alice)
    url = reverse("console:structure", args=[structure_a.pk])
    factories.make_account(structure_a, "MED", email="un@ch-a.fr")
    few = _queries(client, url)
    for i in range(15):
        factories.make_account(structure_a, "MED", email=f"medecin{i}@ch-a.fr")
    many = _queries(client, url)
    assert few == many <= CONSOLE_PAGE_MAX
