"""Delegates: the right of a delegation, set at the add and changed; what a delegate opens."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from pytest_django import DjangoAssertNumQueries

from caducee.accounts.delegates import (
    add_delegate,
    linked_and_delegated,
    live_delegation,
    openable_boxes,
    remove_delegate,
    set_delegate_right,
)
from caducee.accounts.models import (
    Account,
    AccountState,
    AccountType,
    ConnectionLink,
    Delegation,
    DelegationRight,
)
from caducee.audit.models import AuditEvent
from caducee.core.errors import Invalid, NotFound
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.factories import make_account
from tests.helpers import ctx_for


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_a_delegate_is_added_read_only_unless_the_right_is_given(
    alice: User, structure_a: Structure
) -> None:
    doctor = make_account(structure_a, "PER")
    secretary = make_account(structure_a, "MED")
    nurse = make_account(structure_a, "INT")
    assert add_delegate(ctx_for(alice), doctor, secretary.email).right == DelegationRight.READ
    by_label = add_delegate(
        ctx_for(alice), doctor, nurse.email, "  lecture ET réponse pour le compte de "
    )
    assert by_label.right == DelegationRight.REPLY
    [first, second] = _events("account.delegate_add")
    assert first.detail == {"delegate": secretary.email, "right": "lecture"}
    assert second.detail == {"delegate": nurse.email, "right": "reponse"}
    assert first.actor_id == alice.pk and first.target_label == doctor.email


def test_an_unknown_right_is_refused_with_the_choices(alice: User, structure_a: Structure) -> None:
    doctor = make_account(structure_a, "PER")
    secretary = make_account(structure_a, "MED")
    with pytest.raises(Invalid, match="Droits de délégué inconnus : « tout »") as caught:
        add_delegate(ctx_for(alice), doctor, secretary.email, "tout")
    assert "reponse (« Lecture et réponse pour le compte de »)" in caught.value.message
    assert caught.value.problems[0].field == "right"
    assert not Delegation.objects.exists()


def test_the_right_is_changed_and_audited_once(alice: User, structure_a: Structure) -> None:
    doctor = make_account(structure_a, "PER")
    secretary = make_account(structure_a, "MED")
    add_delegate(ctx_for(alice), doctor, secretary.email)
    set_delegate_right(ctx_for(alice), doctor, secretary, "reponse")
    set_delegate_right(ctx_for(alice), doctor, secretary, "reponse")  # no change, no event
    assert Delegation.objects.get().right == DelegationRight.REPLY
    [event] = _events("account.delegate_right")
    assert event.detail == {
        "delegate": secretary.email,
        "previous_right": "lecture",
        "right": "reponse",
    }
    # Adding the same delegate again with another right changes it (no second delegation).
    add_delegate(ctx_for(alice), doctor, secretary.email, "lecture")
    assert Delegation.objects.get().right == DelegationRight.READ
    assert len(_events("account.delegate_right")) == 2
    assert len(_events("account.delegate_add")) == 1


def test_another_structure_s_admin_sees_nothing(
    alice: User, bob: User, structure_a: Structure
) -> None:
    doctor = make_account(structure_a, "PER")
    secretary = make_account(structure_a, "MED")
    add_delegate(ctx_for(alice), doctor, secretary.email)
    with pytest.raises(NotFound):
        set_delegate_right(ctx_for(bob), doctor, secretary, "reponse")
    with pytest.raises(NotFound):
        remove_delegate(ctx_for(bob), doctor, secretary)
    assert Delegation.objects.get().right == DelegationRight.READ
    with pytest.raises(NotFound, match="Ce délégué n'existe pas"):
        set_delegate_right(ctx_for(alice), doctor, make_account(structure_a, "PER"), "lecture")


def test_linked_and_delegated_mailboxes_in_one_query(
    alice: User, structure_a: Structure, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    secretary = make_account(structure_a, "MED", email="secretaire@ch-a.fr")
    org = make_account(
        structure_a, "ORG", email="accueil@ch-a.fr", connection_accounts=secretary.email
    )
    doctor = make_account(structure_a, "PER", email="dr.a@ch-a.fr")
    both = make_account(
        structure_a, "ORG", email="bureau@ch-a.fr", connection_accounts=secretary.email
    )
    add_delegate(ctx_for(alice), doctor, secretary.email, "reponse")
    add_delegate(ctx_for(alice), both, secretary.email)
    with django_assert_num_queries(1):
        boxes, rights = linked_and_delegated(secretary)
    # Linked first (every action), then delegated; a box both linked and delegated is linked.
    assert [b.email for b in boxes] == [org.email, both.email, doctor.email]
    assert rights == {doctor.pk: "reponse"}


@pytest.mark.parametrize("state", [AccountState.DEACTIVATED, AccountState.DELETED])
def test_a_closed_delegating_account_opens_nothing(
    alice: User, structure_a: Structure, state: str
) -> None:
    doctor = make_account(structure_a, "PER")
    secretary = make_account(structure_a, "MED")
    add_delegate(ctx_for(alice), doctor, secretary.email)
    assert live_delegation(secretary, doctor) is not None
    Account.objects.filter(pk=doctor.pk).update(state=state)
    doctor.refresh_from_db()
    assert linked_and_delegated(secretary) == ([], {})
    assert live_delegation(secretary, doctor) is None
    # Nor does a closed delegate open anything.
    Account.objects.filter(pk=doctor.pk).update(state=AccountState.VALID)
    Account.objects.filter(pk=secretary.pk).update(state=state)
    secretary.refresh_from_db()
    assert linked_and_delegated(secretary) == ([], {})
    assert ConnectionLink.objects.count() == 0


def test_the_mailboxes_are_reached_by_primary_key_whatever_the_number_of_accounts(
    alice: User, structure_a: Structure
) -> None:
    """The header reads this on every page: among thousands of accounts (analysed), the plan
    reads none of them in full (before: an OR of two `IN` on the accounts, which PostgreSQL
    answered by reading every account, 160–230 ms at 1,000,000)."""
    secretary = make_account(structure_a, "MED")
    org = make_account(structure_a, "ORG", connection_accounts=secretary.email)
    doctor = make_account(structure_a, "PER")
    add_delegate(ctx_for(alice), doctor, secretary.email)
    Account.objects.bulk_create(
        Account(
            structure=structure_a,
            email=f"autre{n}@ch-a.fr",
            last_name=f"NOM{n}",
            first_name="Jeanne",
            type=AccountType.PER,
            state=AccountState.VALID,
        )
        for n in range(5000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    plan = openable_boxes(secretary).explain()
    if connection.vendor == "postgresql":
        assert not re.search(r"Seq Scan on accounts_account\b", plan), plan
        assert "accounts_account_pkey" in plan, plan
    else:
        assert not re.search(r"SCAN accounts_account\b", plan), plan
        assert "SEARCH accounts_account USING INTEGER PRIMARY KEY" in plan, plan
    assert linked_and_delegated(secretary) == ([org, doctor], {doctor.pk: "lecture"})
