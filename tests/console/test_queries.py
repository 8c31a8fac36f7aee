"""Console pages cost the same number of queries with few or many rows (no N+1)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from caducee.accounts.models import Account
from caducee.accounts.operations import add_connection_accounts, add_delegate
from caducee.core.context import cli_context
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories

pytestmark = pytest.mark.django_db


def _queries(client: Client, url: str) -> int:
    client.get(url)  # warm-up: session, caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def _more_accounts(structure: Structure, count: int) -> list[Account]:
    return [factories.make_account(structure, "MED") for _ in range(count)]


def test_account_list(client: Client, alice: User, structure_a: Structure) -> None:
    client.force_login(alice)
    url = reverse("console:accounts", args=[structure_a.pk])
    _more_accounts(structure_a, 2)
    few = _queries(client, url)
    _more_accounts(structure_a, 12)
    assert _queries(client, url) == few


def test_account_page_of_a_shared_mailbox(
    client: Client, alice: User, structure_a: Structure, org_a: Account
) -> None:
    client.force_login(alice)
    url = reverse("console:account", args=[structure_a.pk, org_a.pk])
    few = _queries(client, url)
    members = _more_accounts(structure_a, 6)
    add_connection_accounts(cli_context(), org_a, ",".join(m.email for m in members))
    for member in members[:3]:
        add_delegate(cli_context(), org_a, member.email)
    assert _queries(client, url) == few


def test_account_page_of_a_nominative_account(
    client: Client, alice: User, structure_a: Structure, med_a: Account
) -> None:
    client.force_login(alice)
    url = reverse("console:account", args=[structure_a.pk, med_a.pk])
    few = _queries(client, url)
    for _ in range(4):
        org = factories.make_account(structure_a, "ORG", connection_accounts=med_a.email)
        assert org.pk
    assert _queries(client, url) == few


def test_audit_log(client: Client, alice: User, structure_a: Structure) -> None:
    client.force_login(alice)
    url = reverse("console:audit", args=[structure_a.pk])
    _more_accounts(structure_a, 2)
    few = _queries(client, url)
    _more_accounts(structure_a, 10)
    assert _queries(client, url) == few
