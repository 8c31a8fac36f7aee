"""The operations of the « Demande de raccordement »: submit (with its field rules and its
rate limit), take, answer and create the structure; each audited, each operator-only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from caducee.audit.actions import AuditAction
from caducee.audit.models import AuditEvent
from caducee.console.audit_labels import detail_lines
from caducee.core.context import cli_context
from caducee.core.errors import Invalid, NotFound
from caducee.emails.models import OutgoingEmail
from caducee.onboarding import operations
from caducee.onboarding.access import access_request
from caducee.onboarding.models import ConnectionRequest, RequestState
from caducee.onboarding.queue import OPEN, existing_structures, is_overdue
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import ctx_for
from tests.onboarding.conftest import PHARMACY_FINESS, anonymous, pharmacy_input

pytestmark = pytest.mark.django_db


def _problems(data: operations.RequestInput) -> dict[str, str]:
    with pytest.raises(Invalid) as caught:
        operations.submit_connection_request(anonymous(), data)
    return {p.field: p.message for p in caught.value.errors()}


# --- submit ---------------------------------------------------------------------------------


def test_it_stores_the_cleaned_request_audits_and_acknowledges() -> None:
    created = operations.submit_connection_request(anonymous(), pharmacy_input())
    assert created is not None
    row = ConnectionRequest.objects.get()
    assert row.state == RequestState.NEW
    assert (row.email, row.phone, row.city, row.last_name) == (
        "contact@pharmacie-centre-albi.fr",
        "0563000000",
        "ALBI",
        "MARTIN",
    )
    assert (row.id_type, row.id_number, row.department, row.region) == (
        "FINESS_EG",
        PHARMACY_FINESS,
        "81",
        "76",  # derived from the department
    )
    assert row.expected_users == 4 and row.ip == "203.0.113.7"
    event = AuditEvent.objects.get(action=AuditAction.ONBOARDING_REQUEST)
    assert event.detail["limited"] is False and event.target_id == str(row.pk)
    assert event.actor is None and event.actor_label == "anonyme"
    assert "utilisateurs prévus : 4" in detail_lines(event.detail)  # « Journal d'audit »
    email = OutgoingEmail.objects.get(template="onboarding_received")
    assert email.recipient == row.email
    assert "Pharmacie du Centre" in email.subject
    assert f"n° {row.pk}" in email.text and "4 utilisateurs" in email.text


def test_it_reports_every_missing_field_in_french() -> None:
    problems = _problems(operations.RequestInput())
    assert set(problems) == {
        "structure_name",
        "id_type",
        "id_number",
        "postal_code",
        "city",
        "department",
        "last_name",
        "first_name",
        "function",
        "email",
        "phone",
        "expected_users",
    }
    assert problems["structure_name"] == "Indiquez « Raison sociale de la structure »."
    assert "département" in problems["department"]
    assert not ConnectionRequest.objects.exists()
    assert not OutgoingEmail.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("id_number", PHARMACY_FINESS[:-1] + str((int(PHARMACY_FINESS[-1]) + 1) % 10), "clé"),
        ("id_number", "12345", "9 caractères"),
        ("postal_code", "8100A", "5 chiffres"),
        ("email", "claire@", "n'est pas une adresse mail valide"),
        ("phone", "05 63 xx", "chiffres seulement"),
        ("department", "zz", "inconnu"),
        ("expected_users", "beaucoup", "nombre entier entre 1 et 100"),
        ("expected_users", "0", "nombre entier entre 1 et 100"),
        ("expected_users", "-3", "nombre entier"),
        ("structure_name", "x" * 201, "200 caractères au plus"),
        ("message", "x" * 2001, "2000 caractères au plus"),
        ("last_name", "MAR\x00TIN", "caractère nul"),
    ],
)
def test_it_refuses_a_bad_value_with_its_field(field: str, value: str, expected: str) -> None:
    problems = _problems(pharmacy_input(**{field: value}))
    assert list(problems) == [field]
    assert expected in problems[field]


def test_a_siret_and_a_siren_are_checked_with_their_key() -> None:
    siret = factories.siret(42)
    ok = operations.submit_connection_request(
        anonymous(), pharmacy_input(id_type="SIRET", id_number=siret)
    )
    assert ok is not None and ok.id_number == siret
    problems = _problems(pharmacy_input(id_type="SIREN", id_number="123456789"))
    assert "SIREN est invalide" in problems["id_number"]
    problems = _problems(pharmacy_input(id_type="RPPS"))
    assert list(problems) == ["id_type"]


def test_a_region_of_another_department_is_refused() -> None:
    problems = _problems(pharmacy_input(region="11"))
    assert "Le département 81 est en région" in problems["region"]


def test_a_known_structure_gets_the_same_answer(structure_a: Structure) -> None:
    created = operations.submit_connection_request(
        anonymous(),
        pharmacy_input(
            structure_name=structure_a.name,
            id_type=structure_a.id_type,
            id_number=structure_a.id_number,
        ),
    )
    assert created is not None  # no « already exists » for the public: no enumeration
    assert existing_structures(created) == [structure_a]


@override_settings(ONBOARDING_REQUESTS_PER_EMAIL=2, ONBOARDING_REQUESTS_PER_IP=100)
def test_it_limits_the_requests_per_email() -> None:
    for ip in ("203.0.113.1", "203.0.113.2"):
        assert operations.submit_connection_request(anonymous(ip), pharmacy_input())
    for ip in ("203.0.113.3", "203.0.113.4"):
        with pytest.raises(operations.TooManyRequests) as caught:
            operations.submit_connection_request(anonymous(ip), pharmacy_input())
    assert "Trop de demandes de raccordement" in caught.value.message
    assert ConnectionRequest.objects.count() == 2
    # One acknowledgement a day per address: the form cannot flood a mailbox.
    assert OutgoingEmail.objects.filter(template="onboarding_received").count() == 1
    limited = AuditEvent.objects.filter(action=AuditAction.ONBOARDING_REQUEST, detail__limited=True)
    assert limited.count() == 1  # only the first refusal of the window is audited
    # Another email from the same addresses is still accepted.
    assert operations.submit_connection_request(
        anonymous("203.0.113.3"), pharmacy_input(email="autre@pharmacie.fr")
    )


@override_settings(ONBOARDING_REQUESTS_PER_IP=2, ONBOARDING_REQUESTS_PER_EMAIL=100)
def test_it_limits_the_requests_per_ip() -> None:
    for n in range(2):
        operations.submit_connection_request(anonymous(), pharmacy_input(email=f"c{n}@ph.fr"))
    with pytest.raises(operations.TooManyRequests):
        operations.submit_connection_request(anonymous(), pharmacy_input(email="c9@ph.fr"))
    assert operations.submit_connection_request(
        anonymous("198.51.100.9"), pharmacy_input(email="c9@ph.fr")
    )


@override_settings(ONBOARDING_REQUESTS_PER_IP=1)
def test_invalid_submissions_are_not_counted() -> None:
    for _ in range(3):
        with pytest.raises(Invalid):
            operations.submit_connection_request(anonymous(), pharmacy_input(email="x"))
    assert operations.submit_connection_request(anonymous(), pharmacy_input())


# --- the service centre ---------------------------------------------------------------------


def test_the_operator_lists_filters_and_sees_the_overdue(
    operator: User, pharmacy_request: ConnectionRequest
) -> None:
    old = operations.submit_connection_request(
        anonymous("198.51.100.1"), pharmacy_input(email="old@ph.fr")
    )
    assert old is not None
    ConnectionRequest.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=73)
    )
    old.refresh_from_db()
    ctx = ctx_for(operator)
    assert list(operations.list_connection_requests(ctx)) == [pharmacy_request, old]
    assert list(operations.list_connection_requests(ctx, older_than_hours=24)) == [old]
    assert is_overdue(old) and not is_overdue(pharmacy_request)
    with override_settings(REGISTRATION_OVERDUE_HOURS=80):
        assert not is_overdue(old)
    operations.answer_connection_request(ctx, old, accept=False, message="Hors région.")
    assert not is_overdue(old)
    assert list(operations.list_connection_requests(ctx, state=OPEN)) == [pharmacy_request]
    assert list(operations.list_connection_requests(ctx, state="refusee")) == [old]
    with pytest.raises(Invalid) as caught:
        operations.list_connection_requests(ctx, state="perdue")
    assert "État « perdue » inconnu" in caught.value.errors()[0].message


def test_take_puts_it_in_progress(operator: User, pharmacy_request: ConnectionRequest) -> None:
    operations.take_connection_request(ctx_for(operator), pharmacy_request)
    pharmacy_request.refresh_from_db()
    assert pharmacy_request.state == RequestState.IN_PROGRESS
    assert pharmacy_request.handled_by == operator
    event = AuditEvent.objects.get(action=AuditAction.ONBOARDING_TAKE)
    assert event.actor == operator and event.target_id == str(pharmacy_request.pk)


def test_accept_emails_the_message_and_closes_the_request(
    operator: User, pharmacy_request: ConnectionRequest
) -> None:
    operations.answer_connection_request(
        ctx_for(operator), pharmacy_request, accept=True, message="Nous vous appelons lundi."
    )
    pharmacy_request.refresh_from_db()
    assert pharmacy_request.state == RequestState.ACCEPTED
    assert pharmacy_request.answer == "Nous vous appelons lundi."
    assert pharmacy_request.answered_at is not None
    email = OutgoingEmail.objects.get(template="onboarding_answer")
    assert email.recipient == pharmacy_request.email
    assert "acceptée" in email.subject and "Nous vous appelons lundi." in email.text
    event = AuditEvent.objects.get(action=AuditAction.ONBOARDING_ANSWER)
    assert event.detail["accepted"] is True
    with pytest.raises(Invalid) as caught:
        operations.answer_connection_request(
            ctx_for(operator), pharmacy_request, accept=False, message="Non."
        )
    assert "déjà reçu une réponse (acceptée" in caught.value.message
    with pytest.raises(Invalid):
        operations.take_connection_request(ctx_for(operator), pharmacy_request)


def test_refuse_needs_a_reason(operator: User, pharmacy_request: ConnectionRequest) -> None:
    with pytest.raises(Invalid) as caught:
        operations.answer_connection_request(
            ctx_for(operator), pharmacy_request, accept=False, message="  "
        )
    assert "le motif du refus" in caught.value.errors()[0].message
    with pytest.raises(Invalid) as caught:
        operations.answer_connection_request(
            ctx_for(operator), pharmacy_request, accept=False, message="x" * 5001
        )
    assert "trop longue" in caught.value.errors()[0].message
    operations.answer_connection_request(
        cli_context(), pharmacy_request, accept=False, message="Structure hors région."
    )
    assert OutgoingEmail.objects.get(template="onboarding_answer").subject.startswith(
        "Demande de raccordement refusée"
    )
    assert AuditEvent.objects.get(action=AuditAction.ONBOARDING_ANSWER).channel == "cli"


def test_create_structure_from_the_request(
    operator: User, pharmacy_request: ConnectionRequest
) -> None:
    structure = operations.create_structure_from_request(
        ctx_for(operator), pharmacy_request, domain="pharmacie-centre.mssante.fr"
    )
    assert (structure.name, structure.id_type, structure.id_number) == (
        "Pharmacie du Centre",
        "FINESS_EG",
        PHARMACY_FINESS,
    )
    assert (structure.city, structure.department, structure.region) == ("ALBI", "81", "76")
    assert structure.contact_email == pharmacy_request.email
    assert structure.contact_name == "Claire MARTIN (Pharmacienne titulaire)"
    pharmacy_request.refresh_from_db()
    assert pharmacy_request.structure == structure
    assert pharmacy_request.state == RequestState.IN_PROGRESS
    assert AuditEvent.objects.filter(action=AuditAction.STRUCTURE_CREATE).exists()
    event = AuditEvent.objects.get(action=AuditAction.ONBOARDING_STRUCTURE)
    assert event.structure == structure
    with pytest.raises(Invalid) as caught:
        operations.create_structure_from_request(ctx_for(operator), pharmacy_request)
    assert "déjà été créée" in caught.value.message


def test_create_structure_refuses_a_duplicate_and_a_refused_request(
    operator: User, structure_a: Structure, pharmacy_request: ConnectionRequest
) -> None:
    pharmacy_request.structure_name = structure_a.name
    pharmacy_request.save()
    with pytest.raises(Invalid) as caught:
        operations.create_structure_from_request(ctx_for(operator), pharmacy_request)
    assert {p.field for p in caught.value.errors()} == {"name"}
    assert not AuditEvent.objects.filter(action=AuditAction.ONBOARDING_STRUCTURE).exists()
    operations.answer_connection_request(
        ctx_for(operator), pharmacy_request, accept=False, message="Déjà cliente."
    )
    with pytest.raises(Invalid) as caught:
        operations.create_structure_from_request(ctx_for(operator), pharmacy_request)
    assert "refusée" in caught.value.message


def test_only_the_operator_sees_the_requests(
    alice: User, charlie: User, pharmacy_request: ConnectionRequest
) -> None:
    for person in (alice, charlie, None):
        ctx = ctx_for(person)
        with pytest.raises(NotFound):
            operations.list_connection_requests(ctx)
        with pytest.raises(NotFound):
            access_request(ctx, pharmacy_request.pk)
        with pytest.raises(NotFound):
            operations.take_connection_request(ctx, pharmacy_request)
        with pytest.raises(NotFound):
            operations.answer_connection_request(
                ctx, pharmacy_request, accept=True, message="Bienvenue."
            )
        with pytest.raises(NotFound):
            operations.create_structure_from_request(ctx, pharmacy_request)
    pharmacy_request.refresh_from_db()
    assert pharmacy_request.state == RequestState.NEW


def test_an_inactive_operator_sees_nothing(operator: User) -> None:
    operator.is_active = False
    operator.save()
    with pytest.raises(NotFound):
        operations.list_connection_requests(ctx_for(operator))
    with pytest.raises(NotFound):
        access_request(ctx_for(operator), 1)


def test_one_acknowledgement_a_day_per_address() -> None:
    first = operations.submit_connection_request(anonymous(), pharmacy_input())
    assert first is not None
    second = operations.submit_connection_request(anonymous("198.51.100.2"), pharmacy_input())
    assert second is not None  # stored all the same
    assert OutgoingEmail.objects.filter(template="onboarding_received").count() == 1
    ConnectionRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert operations.submit_connection_request(anonymous("198.51.100.3"), pharmacy_input())
    assert OutgoingEmail.objects.filter(template="onboarding_received").count() == 2
