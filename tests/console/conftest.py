"""Console fixtures: accounts of structure A (Alice's) and B (Bob's), logged-in clients."""

from __future__ import annotations

import pytest
from django.test import Client

from caducee.accounts.models import Account
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories


@pytest.fixture
def per_a(structure_a: Structure) -> Account:
    return factories.make_account(structure_a, "PER", "jeanne.dupont@ch-a.fr")


@pytest.fixture
def med_a(structure_a: Structure) -> Account:
    return factories.make_account(
        structure_a, "MED", "secretaire@ch-a.fr", last_name="MARTIN", first_name="Louise"
    )


@pytest.fixture
def org_a(structure_a: Structure, med_a: Account) -> Account:
    return factories.make_account(
        structure_a, "ORG", "secretariat@ch-a.fr", connection_accounts=med_a.email
    )


@pytest.fixture
def per_b(structure_b: Structure) -> Account:
    return factories.make_account(structure_b, "PER", "paul.durand@clinique-b.fr")


def logged_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client
