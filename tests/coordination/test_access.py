"""The one authorisation module: owner / colleague / outsider / each kind of account."""

from __future__ import annotations

import pytest

from caducee.coordination import access, operations
from caducee.coordination.models import (
    Contact,
    ExternalAccount,
    ExternalStatus,
    Partner,
    Record,
)
from caducee.coordination.permissions import EXTERNAL_ALLOWED
from caducee.core.context import cli_context
from caducee.core.errors import Forbidden, NotFound
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.coordination.conftest import profile
from tests.factories import make_operator
from tests.helpers import ctx_for


def test_internal_people(
    camille: User, lucas: User, bob: User, charlie: User, record_a: Record, record_c: Record
) -> None:
    assert list(access.records_for(camille)) == [record_a]
    assert list(access.records_for(lucas)) == [record_a]
    assert list(access.records_for(lucas, "liaison.write")) == []
    assert list(access.records_for(bob)) == []  # an admin role alone opens nothing
    assert list(access.records_for(charlie)) == []
    assert list(access.records_for(None)) == []
    assert access.permissions_on(lucas, record_a) == {"record.read", "liaison.read"}
    assert access.permissions_on(camille, record_c) == frozenset()


def test_external_profile_is_capped(
    fcorre_account: ExternalAccount, record_a: Record, structure_a: Structure
) -> None:
    widened = profile(structure_a, "Partenaire externe contributeur")
    widened.permissions = [*widened.permissions, "partner.manage", "external.create"]
    widened.save()  # written behind the operations' back: the cap still holds
    assert access.permissions_on(fcorre_account.user, record_a) <= EXTERNAL_ALLOWED


def test_external_states(
    fcorre_account: ExternalAccount, record_a: Record, record_b: Record
) -> None:
    user = fcorre_account.user
    assert access.is_external(user)
    assert list(access.records_for(user)) == [record_a]
    assert access.structures_with(user, "record.read") == []
    assert access.structure_permissions(user, record_a.structure) == frozenset()
    for status in (ExternalStatus.PENDING, ExternalStatus.SUSPENDED):
        ExternalAccount.objects.filter(pk=fcorre_account.pk).update(status=status)
        fresh = User.objects.get(pk=user.pk)
        assert list(access.records_for(fresh)) == []
        assert access.permissions_on(fresh, record_a) == frozenset()


def test_access_record_answers(
    fcorre_account: ExternalAccount, camille: User, lucas: User, record_a: Record, record_b: Record
) -> None:
    import pytest

    from caducee.core.errors import Forbidden, NotFound

    with pytest.raises(NotFound):
        access.access_record(fcorre_account.user, record_b.pk)
    with pytest.raises(NotFound):  # an external account never learns about a missing right
        access.access_record(fcorre_account.user, record_a.pk, "partner.manage")
    with pytest.raises(Forbidden):  # a colleague is told why
        access.access_record(lucas, record_a.pk, "liaison.write")
    with pytest.raises(NotFound):
        access.access_record(camille, 999_999)
    assert access.access_record(camille, record_a.pk, "partner.manage").record == record_a


def test_partner_of_another_structure_record_needs_its_own_partnership(
    fcorre_account: ExternalAccount, record_c: Record, structure_b: Structure
) -> None:
    contact = operations.create_contact(
        cli_context(), structure_b, operations.ContactInput(last_name="Autre", email="a@b.fr")
    )
    Partner.objects.create(record=record_c, contact=contact, contact_type="autre")
    assert record_c not in access.records_for(fcorre_account.user)


# --- Security review M2: an external account belongs to the structure that created it ----


def _gp_scenario(
    structure_a: Structure, structure_b: Structure, bob: User
) -> tuple[Record, Contact, ExternalAccount]:
    """Review probe M2: A attaches a GP without an account to its record; later B creates an
    external account for the same email (B's own contact, manual creation)."""
    record = operations.create_record(
        cli_context(),
        structure_a,
        operations.RecordInput(last_name="Dupont", first_name="Jean", birth_date="01/01/1940"),
    )
    gp_a = operations.create_contact(
        cli_context(),
        structure_a,
        operations.ContactInput(
            last_name="Generaliste", first_name="Paul", email="gp@cabinet.test"
        ),
    )
    operations.attach_partner(cli_context(), record, gp_a, "medecin_traitant")
    gp_b = operations.create_contact(
        cli_context(),
        structure_b,
        operations.ContactInput(last_name="Generaliste", email="gp@cabinet.test"),
    )
    credentials = operations.create_external_account_manual(
        ctx_for(bob), gp_b, "pgen", profile(structure_b, "Partenaire externe contributeur")
    )
    return record, gp_a, credentials.external


def test_another_structures_account_does_not_open_a_record(
    structure_a: Structure, structure_b: Structure, bob: User
) -> None:
    record, gp_a, pgen = _gp_scenario(structure_a, structure_b, bob)
    gp_a.refresh_from_db()
    assert gp_a.external_account is None  # not linked by email
    assert record not in access.records_for(pgen.user)
    assert access.permissions_on(pgen.user, record) == frozenset()
    # A contact added to A's directory later is not linked either.
    again = operations.create_contact(
        cli_context(), structure_a, operations.ContactInput(last_name="Gp", email="gp@cabinet.test")
    )
    assert again.external_account is None


def test_a_link_made_by_email_alone_opens_nothing(
    structure_a: Structure, structure_b: Structure, bob: User
) -> None:
    """Data linked by the old email match (before this fix) stays closed until A accepts."""
    record, gp_a, pgen = _gp_scenario(structure_a, structure_b, bob)
    Contact.objects.filter(pk=gp_a.pk).update(external_account=pgen)
    assert record not in access.records_for(pgen.user)
    assert access.permissions_on(pgen.user, record) == frozenset()


def test_acceptance_opens_with_the_accepting_structures_profile(
    structure_a: Structure, structure_b: Structure, bob: User, camille: User
) -> None:
    record, gp_a, pgen = _gp_scenario(structure_a, structure_b, bob)
    partner = Partner.objects.get(record=record, contact=gp_a)
    reader = profile(structure_a, "Partenaire externe lecture seule")
    assert operations.create_external_account(ctx_for(camille), partner, "pgen2", reader) is None
    assert not ExternalAccount.objects.filter(identifier="pgen2").exists()
    assert record not in access.records_for(pgen.user)  # the partner has not accepted
    grant = operations.pending_invitations(pgen.user).get()
    assert grant.structure == structure_a
    operations.accept_invitation(ctx_for(pgen.user), grant.pk)
    assert list(access.records_for(pgen.user)) == [record]
    assert access.permissions_on(pgen.user, record) == {"record.read", "liaison.read"}


def test_suspension_closes_the_structures_records_only(
    fcorre_account: ExternalAccount, record_a: Record, camille: User, structure_a: Structure
) -> None:
    user = fcorre_account.user
    assert list(access.records_for(user)) == [record_a]
    operations.set_structure_suspension(ctx_for(camille), structure_a, fcorre_account, True)
    assert list(access.records_for(User.objects.get(pk=user.pk))) == []
    assert access.permissions_on(user, record_a) == frozenset()
    fcorre_account.refresh_from_db()
    assert fcorre_account.status == ExternalStatus.ACTIVE  # the account itself is unchanged
    operations.set_structure_suspension(ctx_for(camille), structure_a, fcorre_account, False)
    assert list(access.records_for(user)) == [record_a]


def test_home_structure_suspends_home_access(
    alice: User, record_a: Record, record_b: Record, structure_a: Structure
) -> None:
    contact = operations.create_contact(
        cli_context(), structure_a, operations.ContactInput(last_name="Interim", email="i@x.fr")
    )
    credentials = operations.create_external_account_manual(
        ctx_for(alice),
        contact,
        "interim",
        profile(structure_a, "Partenaire externe lecture seule"),
        structure_a,
    )
    user = credentials.external.user
    assert set(access.records_for(user)) == {record_a, record_b}
    operations.set_structure_suspension(ctx_for(alice), structure_a, credentials.external, True)
    assert list(access.records_for(user)) == []


def test_structure_admin_excludes_the_operator(
    alice: User, camille: User, bob: User, structure_a: Structure
) -> None:
    """Only A's own administrators manage its rights: the platform operator is told the
    structure does not exist (404), a person working in A why they are refused (403)."""
    access.require_structure_admin(ctx_for(alice), structure_a)
    access.require_structure_admin(cli_context(), structure_a)
    with pytest.raises(NotFound):
        access.require_structure_admin(ctx_for(make_operator("op@plateforme.test")), structure_a)
    with pytest.raises(NotFound):
        access.require_structure_admin(ctx_for(bob), structure_a)
    with pytest.raises(Forbidden) as refused:
        access.require_structure_admin(ctx_for(camille), structure_a)
    assert "administrateur" in refused.value.message
