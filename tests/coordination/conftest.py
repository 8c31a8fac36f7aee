"""Coordination personas, on top of tests/conftest.py.

Structure A (Alice administers it) follows two people: record A (Mme Martin) and record B
(M. Durand). Camille coordinates in A with the default "Coordinateur interne" profile;
Lucas only reads ("Lecteur interne"). François Corre, a GP, is in A's directory; his
external account `fcorre` is a partner of record A only. Bob administers structure B,
which follows record C. `world` gathers them with a second partner and a document on each
of A's records (the sealing and ownership tests).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from caducee.audit.models import AuditEvent
from caducee.coordination import operations
from caducee.coordination.models import (
    Contact,
    ExternalAccount,
    Membership,
    Partner,
    Record,
    RecordDocument,
    RightsProfile,
)
from caducee.core.context import cli_context
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.conftest import PASSWORD
from tests.factories import make_account, password_hash
from tests.helpers import ctx_for
from tests.storage.s3 import s3_server, s3_storage  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def _files_in_tmp(settings: Any, tmp_path: Path) -> None:
    """Each test stores its documents in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "files"
    # Password hashing is not under test here; Argon2 would make these tests slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(params=["files", "s3"])
def document_storage(request: pytest.FixtureRequest) -> str:
    """The document tests run on each storage: files under MEDIA_ROOT (the default), and
    an S3-compatible server (moto, on loopback) as with CADUCEE_STORAGE_URL=s3://…"""
    if request.param == "s3":
        request.getfixturevalue("s3_storage")
    return str(request.param)


def profile(structure: Structure, name: str) -> RightsProfile:
    operations.ensure_default_profiles(structure)
    return RightsProfile.objects.get(structure=structure, name=name)


def member(structure: Structure, email: str, profile_name: str) -> User:
    """A person with a nominative account in the structure and a coordination profile."""
    account = make_account(structure, "MED", email)
    user = account.user
    assert user is not None
    user.password = password_hash(PASSWORD)
    user.first_name = account.first_name
    user.last_name = account.last_name
    user.save()
    Membership.objects.create(
        user=user, structure=structure, profile=profile(structure, profile_name)
    )
    return user


def make_record(structure: Structure, last_name: str, first_name: str, birth: str) -> Record:
    return operations.create_record(
        cli_context(),
        structure,
        operations.RecordInput(last_name=last_name, first_name=first_name, birth_date=birth),
    )


@pytest.fixture
def camille(structure_a: Structure) -> User:
    return member(structure_a, "camille.coord@ch-a.fr", "Coordinateur interne")


@pytest.fixture
def lucas(structure_a: Structure) -> User:
    return member(structure_a, "lucas.lecteur@ch-a.fr", "Lecteur interne")


@pytest.fixture
def record_a(structure_a: Structure) -> Record:
    return make_record(structure_a, "Martin", "Jeanne", "12/03/1941")


@pytest.fixture
def record_b(structure_a: Structure) -> Record:
    return make_record(structure_a, "Durand", "Paul", "1950-07-01")


@pytest.fixture
def record_c(structure_b: Structure) -> Record:
    return make_record(structure_b, "Bernard", "Lucie", "02/02/1938")


@pytest.fixture
def corre(structure_a: Structure) -> Contact:
    return operations.create_contact(
        cli_context(),
        structure_a,
        operations.ContactInput(
            last_name="Corre",
            first_name="François",
            profession="Médecin généraliste",
            organisation="Cabinet médical du centre",
            phone="05 61 00 00 00",
            email="Francois.Corre@cabinet-centre.fr",
        ),
    )


@pytest.fixture
def corre_partner(record_a: Record, corre: Contact) -> Partner:
    return operations.attach_partner(cli_context(), record_a, corre, "medecin_traitant")


@pytest.fixture
def fcorre_credentials(
    alice: User, corre_partner: Partner, structure_a: Structure
) -> operations.Credentials:
    """fcorre, created by Alice (manual creation: active at once), partner of record A."""
    return operations.create_external_account_manual(
        ctx_for(alice),
        corre_partner.contact,
        "fcorre",
        profile(structure_a, "Partenaire externe contributeur"),
    )


@pytest.fixture
def fcorre(fcorre_credentials: operations.Credentials) -> User:
    return fcorre_credentials.external.user


@pytest.fixture
def fcorre_account(fcorre_credentials: operations.Credentials) -> ExternalAccount:
    return fcorre_credentials.external


@dataclass
class World:
    record_a: Record
    record_b: Record
    record_c: Record
    partner_a: Partner
    partner_b: Partner
    doc_a: RecordDocument
    doc_b: RecordDocument
    external: ExternalAccount
    membership: Membership


@pytest.fixture
def world(
    fcorre_account: ExternalAccount,
    record_a: Record,
    record_b: Record,
    record_c: Record,
    camille: User,
    structure_a: Structure,
) -> World:
    partner_a = Partner.objects.get(record=record_a)
    other = operations.create_contact(
        cli_context(), structure_a, operations.ContactInput(last_name="Pharma", email="ph@x.fr")
    )
    partner_b = operations.attach_partner(cli_context(), record_b, other, "pharmacien")
    doc_a = operations.attach_document(cli_context(), record_a, "A", "a.txt", io.BytesIO(b"A"))
    doc_b = operations.attach_document(cli_context(), record_b, "B", "b.txt", io.BytesIO(b"B"))
    membership = Membership.objects.get(user=camille)
    return World(
        record_a,
        record_b,
        record_c,
        partner_a,
        partner_b,
        doc_a,
        doc_b,
        fcorre_account,
        membership,
    )


def last_event(action: str | None = None) -> AuditEvent:
    events = AuditEvent.objects.order_by("-seq")
    if action:
        events = events.filter(action=action)
    event = events.first()
    assert event is not None
    return event
