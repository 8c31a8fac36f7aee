"""The operations of self-registration: submit, validate, reject, correction, rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from caducee.accounts.models import Account, AccountState, AccountType, ConnectionLink
from caducee.audit.models import AuditEvent
from caducee.core.context import Context, cli_context
from caducee.core.errors import Invalid, NotFound
from caducee.directory.addresses import mssante_address
from caducee.directory.entries import is_listed
from caducee.identity.mailboxes import may_open, openable
from caducee.people.models import User
from caducee.referentials.operations import import_rpps_extraction
from caducee.registration import operations as ops
from caducee.registration.models import RegistrationRequest, RequestState
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import ctx_for
from tests.referentials.extraction_files import line, write
from tests.registration.conftest import OCCITANIE, SHARED, org_form, per_form
from tests.smtp_sink import SmtpSink

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("regions")]
VISITOR = Context(user=None, ip="127.0.0.1", channel="web", label="anonyme")


def _submit_org(pharmacist: Account, **overrides: object) -> RegistrationRequest:
    return ops.submit_registration(
        VISITOR, "ORG", OCCITANIE, org_form(**overrides), requester=pharmacist.user
    )


def test_an_org_request_waits_for_validation_with_its_connection_account(
    pharmacist: Account, smtp_sink: SmtpSink, sent: Any
) -> None:
    with sent():
        request = _submit_org(pharmacist)
    account = request.account
    assert account.type == AccountType.ORG and account.state == AccountState.TO_VALIDATE
    assert ConnectionLink.objects.filter(mailbox=account, account=pharmacist).exists()
    assert request.created_structure == account.structure and account.structure.domain is None
    assert account.structure.id_type == "FINESS_EG"
    assert not is_listed(account)
    assert pharmacist.user is not None
    assert account not in openable(pharmacist.user)  # not before the service centre validates
    assert not may_open(pharmacist.user, account)
    assert AuditEvent.objects.filter(action="registration.submit", target_id=str(account.pk))
    received = smtp_sink.wait_for(pharmacist.email)
    assert "enregistrée" in received.subject and account.email in received.text


def test_a_request_joins_the_structure_of_its_identifier(pharmacist: Account) -> None:
    number = factories.finess()
    existing = factories.make_structure("Pharmacie de la Gare", id_number=number, domain="")
    request = _submit_org(pharmacist, id_number=number)
    assert request.account.structure == existing and request.created_structure is None


def test_the_form_is_checked_field_by_field_in_french(pharmacist: Account) -> None:
    with pytest.raises(Invalid) as caught:
        _submit_org(
            pharmacist,
            email="nadege.vives@gmail.com",
            id_number="123456789",
            resp_identifier="12345678901",
            postal_code="8100x",
            department="",
        )
    fields = {p.field: p.message for p in caught.value.errors()}
    assert "semble personnelle" in fields["email"] and "générique" in fields["email"]
    assert "id_number" in fields and "resp_identifier" in fields and "postal_code" in fields
    assert "department" in fields
    assert not RegistrationRequest.objects.exists()
    assert not Account.objects.filter(type="ORG").exists()


def test_the_nominative_login_is_not_a_generic_address(pharmacist: Account) -> None:
    with pytest.raises(Invalid) as caught:
        _submit_org(pharmacist, email="nadege.vives@pharmacie-centre.fr", resp_last_name="Dupuis")
    assert "identifiant du compte nominatif" in caught.value.errors()[0].message


def test_a_taken_address_is_refused(pharmacist: Account) -> None:
    _submit_org(pharmacist)
    with pytest.raises(Invalid) as caught:
        _submit_org(pharmacist)
    assert caught.value.errors()[0].field == "email"


def test_the_rpps_is_checked_against_the_loaded_extraction(
    pharmacist: Account, tmp_path: Path
) -> None:
    number = factories.rpps()
    file = write(
        tmp_path / "PS_LibreAcces_Personne_activite_202612010000.txt",
        [line("8" + number, "VIVES", "Nadège", "21", "Pharmacien")],
    )
    import_rpps_extraction(cli_context(), file)
    with pytest.raises(Invalid) as caught:
        _submit_org(pharmacist, resp_identifier=number, resp_first_name="Nadia")
    problem = caught.value.errors()[0]
    assert problem.field == "resp_identifier" and "VIVES Nadège" in problem.message
    assert _submit_org(pharmacist, resp_identifier=number).account.resp_identifier == number


def test_closed_regions_refuse(pharmacist: Account) -> None:
    with pytest.raises(NotFound):
        ops.submit_registration(VISITOR, "ORG", "11", org_form(), requester=pharmacist.user)


def test_validation_on_a_shared_domain_publishes_and_emails(
    pharmacist: Account, shared_domain: str, smtp_sink: SmtpSink, sent: Any
) -> None:
    request = _submit_org(pharmacist)
    mark = smtp_sink.count()
    with sent():
        done = ops.validate_registration(cli_context(), request.pk)
    account = Account.objects.get(pk=done.account.pk)
    assert account.state == AccountState.VALID and done.state == RequestState.VALIDATED
    assert account.structure.domain == SHARED
    assert mssante_address(account) == f"pharmacie.du.centre.81000.albi@{SHARED}"
    assert is_listed(account)
    assert pharmacist.user is not None and may_open(pharmacist.user, account)
    received = smtp_sink.wait_for(
        pharmacist.email, since=mark, match=lambda m: "validé" in m.subject
    )
    assert "Changer de compte" in received.text and SHARED in received.text
    assert AuditEvent.objects.filter(action="registration.validate").count() == 1


def test_validation_attaches_to_an_existing_structure_with_a_particle(
    pharmacist: Account, shared_domain: str
) -> None:
    target = factories.make_structure("Pharmacie du Centre SARL", domain="")
    request = _submit_org(pharmacist, visible=False)
    ops.validate_registration(
        cli_context(), request.pk, structure_id=target.pk, domain=SHARED, particle="pharma.centre"
    )
    account = Account.objects.get(pk=request.account.pk)
    assert account.structure == target and mssante_address(account) == f"pharma.centre@{SHARED}"
    assert not is_listed(account)  # « apparaître dans l'annuaire » unticked: liste rouge
    assert Structure.objects.filter(pk=request.account.structure_id).exists()


def test_a_structure_with_no_domain_needs_one(pharmacist: Account) -> None:
    request = _submit_org(pharmacist)
    with pytest.raises(Invalid) as caught:
        ops.validate_registration(cli_context(), request.pk)
    assert caught.value.errors()[0].field == "domain"
    with pytest.raises(Invalid):
        ops.validate_registration(cli_context(), request.pk, domain="autre.mssante.fr")
    request.refresh_from_db()
    assert request.state == RequestState.TO_VALIDATE


def test_rejection_emails_the_reason(pharmacist: Account, smtp_sink: SmtpSink, sent: Any) -> None:
    request = _submit_org(pharmacist)
    with pytest.raises(Invalid):
        ops.reject_registration(cli_context(), request.pk, "  ")
    mark = smtp_sink.count()
    with sent():
        ops.reject_registration(cli_context(), request.pk, "FINESS d'une autre pharmacie.")
    account = Account.objects.get(pk=request.account.pk)
    assert account.state == AccountState.REJECTED
    received = smtp_sink.wait_for(
        pharmacist.email, since=mark, match=lambda m: "refusée" in m.subject
    )
    assert "FINESS d'une autre pharmacie." in received.text
    with pytest.raises(Invalid):
        ops.validate_registration(cli_context(), request.pk)


def test_a_correction_link_edits_the_request(
    pharmacist: Account, smtp_sink: SmtpSink, sent: Any
) -> None:
    from tests.smtp_sink import url_in

    request = _submit_org(pharmacist)
    mark = smtp_sink.count()
    with sent():
        ops.ask_correction(cli_context(), request.pk, "Indiquez le téléphone de l'officine.")
    url = url_in(
        smtp_sink.wait_for(pharmacist.email, since=mark, match=lambda m: "corriger" in m.subject)
    )
    token = url.rstrip("/").rsplit("/", 1)[1]
    with pytest.raises(Invalid):
        ops.correct_registration(VISITOR, token, {"phone1": "abc"})
    ops.correct_registration(VISITOR, token, {"phone1": "05 63 11 22 33"})
    request.refresh_from_db()
    assert request.state == RequestState.TO_VALIDATE
    assert Account.objects.get(pk=request.account.pk).phone1 == "0563112233"
    with pytest.raises(NotFound):
        ops.correct_registration(VISITOR, token, {})


def test_a_professional_proves_the_address_then_awaits_validation(
    shared_domain: str, smtp_sink: SmtpSink, sent: Any
) -> None:
    from tests.smtp_sink import code_in

    email = "paul.martin@cabinet-albi.fr"
    with sent():
        ops.send_registration_code(VISITOR, email, OCCITANIE)
    code = code_in(smtp_sink.wait_for(email))
    assert not ops.prove_registration_code(VISITOR, email, "000000").ok or code == "000000"
    assert ops.prove_registration_code(VISITOR, email, code).ok
    with sent():
        request = ops.submit_registration(
            VISITOR, "PER", OCCITANIE, per_form(email), requester=None
        )
    account = request.account
    assert account.type == AccountType.PER and account.state == AccountState.TO_VALIDATE
    assert account.user is not None and account.user.email == email
    with sent():
        ops.validate_registration(cli_context(), request.pk)
    account.refresh_from_db()
    assert account.state == AccountState.PREREGISTERED  # finalisation link sent
    assert mssante_address(account) == f"paul.martin@{SHARED}"
    subjects = [m.subject for m in smtp_sink.to(email)]
    smtp_sink.wait_for(email, match=lambda m: "validé" in m.subject)
    subjects = [m.subject for m in smtp_sink.to(email)]
    assert len(subjects) >= 4  # code, acknowledgement, validation, finalisation link


def test_a_known_address_gets_no_code_and_the_same_answer(
    pharmacist: Account, smtp_sink: SmtpSink, sent: Any
) -> None:
    with sent():
        ops.send_registration_code(VISITOR, pharmacist.email, OCCITANIE)
    received = smtp_sink.wait_for(pharmacist.email)
    assert "sert déjà" in received.text
    assert not ops.prove_registration_code(VISITOR, pharmacist.email, "123456").ok


def test_requests_are_rate_limited_per_address(settings: object) -> None:
    from django.conf import settings as conf

    email = "x@example.org"
    for _ in range(int(conf.REGISTRATION_REQUESTS_PER_EMAIL) + 2):
        try:
            ops.send_registration_code(VISITOR, email, OCCITANIE)
        except Exception as exc:
            assert type(exc).__name__ == "TooSoon"
    events = AuditEvent.objects.filter(action="registration.code_sent")
    assert events.filter(detail__limited=True).exists()


def test_the_mismatched_professional_is_explained(tmp_path: Path) -> None:
    number = factories.rpps()
    file = write(
        tmp_path / "PS_LibreAcces_Personne_activite_202612010000.txt",
        [line("8" + number, "MARTIN", "Paul", "21", "Pharmacien")],
    )
    import_rpps_extraction(cli_context(), file)
    email = "p.martin@cabinet.fr"
    with pytest.raises(Invalid) as caught:
        ops.submit_registration(
            VISITOR, "PER", OCCITANIE, per_form(email, rpps=number), requester=None
        )
    problem = caught.value.errors()[0]
    assert problem.field == "rpps" and "profession" in problem.message


def test_the_queue_is_the_service_centres(pharmacist: Account, alice: User, operator: User) -> None:
    request = _submit_org(pharmacist)
    with pytest.raises(NotFound):
        ops.list_registrations(ctx_for(alice))
    with pytest.raises(NotFound):
        ops.validate_registration(ctx_for(alice), request.pk)
    with pytest.raises(NotFound):
        ops.reject_registration(ctx_for(alice), request.pk, "non")
    assert list(ops.list_registrations(ctx_for(operator), state="a_valider")) == [request]
    assert not ops.list_registrations(ctx_for(operator), state="rejete")
    ops.add_centre_member(ctx_for(operator), alice.email)
    assert list(ops.list_registrations(ctx_for(alice))) == [request]


def test_a_centre_member_validates_without_being_operator(
    pharmacist: Account, alice: User, shared_domain: str
) -> None:
    ops.add_centre_member(cli_context(), alice.email)
    request = _submit_org(pharmacist)
    ops.validate_registration(ctx_for(alice), request.pk)
    event = AuditEvent.objects.get(action="registration.validate")
    assert event.actor == alice
    assert Account.objects.get(pk=request.account.pk).state == AccountState.VALID


def test_without_an_individual_account_a_med_account_opens_the_mailbox(
    shared_domain: str, smtp_sink: SmtpSink, sent: Any
) -> None:
    email = "claire.secretaire@pharmacie-albi.fr"
    with pytest.raises(Invalid) as caught:
        ops.submit_registration(
            VISITOR, "ORG", OCCITANIE, org_form(), requester=None, proven_email=email
        )
    assert {p.field for p in caught.value.errors()} >= {
        "requester_last_name",
        "requester_profession",
    }
    data = org_form(
        requester_last_name="Roux", requester_first_name="Claire", requester_profession="L10"
    )
    request = ops.submit_registration(
        VISITOR, "ORG", OCCITANIE, data, requester=None, proven_email=email
    )
    med = Account.objects.get(email=email)
    assert med.type == AccountType.MED and med.state == AccountState.TO_VALIDATE
    assert ConnectionLink.objects.filter(mailbox=request.account, account=med).exists()
    assert request.requester_email == email and request.requester == med.user
    with sent():
        ops.validate_registration(cli_context(), request.pk)
    med.refresh_from_db()
    assert med.state == AccountState.PREREGISTERED and not is_listed(med)
    assert med.structure == Account.objects.get(pk=request.account.pk).structure
    smtp_sink.wait_for(email, match=lambda m: "validé" in m.subject)
