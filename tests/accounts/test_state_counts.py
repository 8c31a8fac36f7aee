"""Accounts per structure and state (`AccountStateCount`), kept by the triggers of migration
accounts 0008 whatever writes the accounts: the console's counters read them (issue #19)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count

from caducee.accounts.models import Account, AccountState, AccountStateCount
from caducee.accounts.queries import counters
from caducee.structures.models import Structure
from tests import factories

pytestmark = pytest.mark.django_db


def _kept() -> dict[tuple[int, str], int]:
    rows = AccountStateCount.objects.values_list("structure_id", "state", "total")
    return {(s, state): n for s, state, n in rows if n}


def _counted() -> dict[tuple[int, str], int]:
    rows = Account.objects.order_by().values_list("structure_id", "state").annotate(n=Count("pk"))
    return {(s, state): n for s, state, n in rows}


def _bulk(structure: Structure, count: int, state: str, prefix: str) -> None:
    Account.objects.bulk_create(
        Account(
            structure=structure,
            email=f"{prefix}{n}@ch-a.fr",
            last_name="VOLUME",
            first_name="N",
            type="MED",
            state=state,
            profession="L10",
        )
        for n in range(count)
    )


def test_every_way_of_writing_accounts_keeps_the_counts(
    structure_a: Structure, structure_b: Structure
) -> None:
    made = factories.make_account(structure_a, "PER")  # the operations layer
    _bulk(structure_a, 30, AccountState.VALID, "v")  # one multi-row INSERT
    _bulk(structure_b, 5, AccountState.PREREGISTERED, "p")
    assert _kept() == _counted()
    made.state = AccountState.DEACTIVATED
    made.save()  # an UPDATE of every column
    Account.objects.filter(email__startswith="v1").update(state=AccountState.REJECTED)
    Account.objects.filter(email__startswith="v2").update(last_name="AUTRE")  # no state change
    Account.objects.filter(email__startswith="p").update(structure=structure_a)  # a move
    Account.objects.filter(email__startswith="v3").delete()
    with connection.cursor() as cursor:  # what no ORM sees (an import's raw writes)
        cursor.execute(
            "UPDATE accounts_account SET state = %s WHERE email LIKE %s",
            [AccountState.TO_VALIDATE, "v4%"],
        )
    assert _kept() == _counted()
    assert _kept()[(structure_a.pk, AccountState.REJECTED)] == 11  # v1, v10…v19


def test_a_statement_swapping_two_states_counts_both(structure_a: Structure) -> None:
    _bulk(structure_a, 3, AccountState.VALID, "a")
    _bulk(structure_a, 2, AccountState.DEACTIVATED, "b")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_account SET state = CASE state WHEN %s THEN %s ELSE %s END",
            [AccountState.VALID, AccountState.DEACTIVATED, AccountState.VALID],
        )
    assert (
        _kept()
        == _counted()
        == {
            (structure_a.pk, AccountState.VALID): 2,
            (structure_a.pk, AccountState.DEACTIVATED): 3,
        }
    )


def test_the_console_counters_read_the_kept_counts(structure_a: Structure) -> None:
    _bulk(structure_a, 4, AccountState.VALID, "v")
    _bulk(structure_a, 2, AccountState.PREREGISTERED, "p")
    totals = counters(structure_a)
    assert (totals["valid"], totals["preregistered"], totals["deactivated"]) == (4, 2, 0)
