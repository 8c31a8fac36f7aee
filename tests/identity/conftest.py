"""Identity personas: Pierre, a doctor of structure A with a valid account and a password,
connection account of the secretariat's ORG mailbox; Paula, pre-registered in structure A."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.test import Client

from caducee.accounts.models import Account, AccountState
from caducee.accounts.operations import mark_finalised
from caducee.structures.models import Structure
from tests import factories
from tests.conftest import PASSWORD
from tests.smtp_sink import SmtpSink, code_in

Capture = Callable[..., AbstractContextManager[Any]]


def make_pierre(structure: Structure) -> Account:
    """Pierre's valid PER account with a password (shared with the browser tests)."""
    account = factories.make_account(structure, "PER", email="pierre.martin@ch-a.fr")
    assert account.user is not None
    account.user.password = factories.password_hash(PASSWORD)
    account.user.save()
    mark_finalised(account)
    return account


@pytest.fixture
def pierre(structure_a: Structure) -> Account:
    return make_pierre(structure_a)


@pytest.fixture
def secretariat(structure_a: Structure, pierre: Account) -> Account:
    return factories.make_account(
        structure_a, "ORG", email="secretariat@ch-a.fr", connection_accounts=pierre.email
    )


@pytest.fixture
def paula(structure_a: Structure) -> Account:
    account = factories.make_account(structure_a, "MED", email="paula.durand@ch-a.fr")
    assert account.state == AccountState.PREREGISTERED and not account.visible
    return account


def password_step(
    client: Client, capture: Capture, email: str, password: str = PASSWORD, **extra: str
) -> Any:
    with capture(execute=True):
        return client.post("/connexion/", {"email": email, "password": password, **extra})


def full_login(
    client: Client, capture: Capture, sink: SmtpSink, email: str, remember: bool = False
) -> Any:
    mark = sink.count()
    response = password_step(client, capture, email)
    assert response.status_code == 302 and response["Location"] == "/connexion/code/"
    code = code_in(sink.wait_for(email, since=mark))
    data = {"code": code, **({"remember": "on"} if remember else {})}
    with capture(execute=True):
        return client.post("/connexion/code/", data)
