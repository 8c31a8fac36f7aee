"""Messaging fixtures: a store under a temporary folder, two structures with mailboxes."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from caducee.accounts.models import Account, ConnectionLink
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.conftest import PASSWORD


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def mail_home(settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.MAIL_ROOT = tmp_path / "mail"
    settings.HOME = tmp_path
    settings.SMTP_ROUTES = ""
    settings.SMTP_TLS_CERT = ""
    settings.SMTP_TLS_KEY = ""
    from caducee.mail import store

    store._made.clear()
    yield tmp_path
    from caducee.mail.smtp_server import release_connections

    release_connections()


def person(structure: Structure, particle: str, kind: str = "PER") -> Account:
    account = factories.make_account(
        structure, kind, email=f"{particle}@perso.example.org", mssante_particle=particle
    )
    if account.user is not None:
        account.user.set_password(PASSWORD)
        account.user.save()
    return account


@pytest.fixture
def martine(structure_a: Structure) -> Account:
    return person(structure_a, "martine.dubois")


@pytest.fixture
def paul(structure_a: Structure) -> Account:
    return person(structure_a, "paul.martin")


@pytest.fixture
def outsider(structure_b: Structure) -> Account:
    return person(structure_b, "charles.autre")


@pytest.fixture
def secretariat(structure_a: Structure, martine: Account) -> Account:
    """An ORG mailbox Martine is a connection account of (with receipt notification)."""
    org = factories.make_account(
        structure_a,
        "ORG",
        email="secretariat@ch-a.example.org",
        mssante_particle="secretariat",
        connection_accounts=martine.email,
    )
    ConnectionLink.objects.filter(mailbox=org, account=martine).update(notify_on_receipt=True)
    return org


def user_of(account: Account) -> User:
    assert account.user is not None
    return account.user
