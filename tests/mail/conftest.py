"""Messaging fixtures: a store under a temporary folder, two structures with mailboxes."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from caducee.accounts.models import Account, ConnectionLink
from caducee.mail.models import WhitelistDomain
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.conftest import PASSWORD
from tests.mail.certificates import Issued, TestCA

PEER_DOMAIN = "medimail.mssante.fr"


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
    settings.SMTP_TRUST_ANCHORS = ""
    settings.SMTP_CLIENT_CERT = ""
    settings.SMTP_CLIENT_KEY = ""
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
        account.user.password = factories.password_hash(PASSWORD)
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


@dataclass
class Pki:
    """A test CA as the trust anchors, and a peer operator it certified for PEER_DOMAIN."""

    ca: TestCA
    peer: Issued

    def client(self) -> ssl.SSLContext:
        """The peer operator's TLS client (its certificate; our server is not verified)."""
        return self.peer.client_context()


@pytest.fixture
def pki(settings: Any, tmp_path: Path) -> Pki:
    ca = TestCA(tmp_path / "pki")
    peer = ca.issue("medimail", "medimail-test.mipih.fr", ou="318310021300028", org="GIP MIPIH")
    settings.SMTP_TRUST_ANCHORS = str(ca.cert)
    WhitelistDomain.objects.create(
        name=PEER_DOMAIN, description="Medimail", operator_dn=peer.dn, loaded_at=timezone.now()
    )
    return Pki(ca, peer)
