"""Shared fixtures: personas as in healthchecks' tests.

Olivia operates the platform; Alice administers structure A; Bob administers structure B;
Charlie is a person with no admin role.
"""

from __future__ import annotations

import os

import pytest

from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories

# Playwright's sync API keeps an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def structure_a(db: None) -> Structure:
    return factories.make_structure("Centre hospitalier A", domain="ch-a.mssante.fr")


@pytest.fixture
def structure_b(db: None) -> Structure:
    return factories.make_structure("Clinique B", domain="clinique-b.mssante.fr")


@pytest.fixture
def operator(db: None) -> User:
    return factories.make_operator(password=PASSWORD)


@pytest.fixture
def alice(structure_a: Structure) -> User:
    return factories.make_admin(structure_a, "alice@ch-a.fr", PASSWORD)


@pytest.fixture
def bob(structure_b: Structure) -> User:
    return factories.make_admin(structure_b, "bob@clinique-b.fr", PASSWORD)


@pytest.fixture
def charlie(db: None) -> User:
    return User.objects.create_user("charlie@example.org", password=PASSWORD)
