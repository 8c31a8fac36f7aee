"""The one authorisation module: owner / colleague / outsider / each kind of account."""

from __future__ import annotations

from caducee.coordination import access, operations
from caducee.coordination.models import ExternalAccount, ExternalStatus, Partner, Record
from caducee.coordination.permissions import EXTERNAL_ALLOWED
from caducee.core.context import cli_context
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.coordination.conftest import profile


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
