"""SQLite's trigram index of the accounts filled in batches (caducee/accounts/search_index.py):
the loaduser import indexes its accounts once a batch, the trigger is back afterwards."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from caducee.accounts.models import Account
from caducee.accounts.queries import indexed_candidates
from caducee.accounts.search_index import INSERT_TRIGGER, indexed_in_batches
from caducee.core.context import cli_context
from caducee.loadusers.importing import import_loadusers
from caducee.structures.models import Structure
from tests import factories
from tests.loadusers.builders import csv_bytes, line

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 index")


def trigger_sql() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [INSERT_TRIGGER])
        row = cursor.fetchone()
    return row[0] if row else None


@sqlite_only
def test_the_batch_is_indexed_by_the_caller_then_the_trigger_is_back(
    structure_a: Structure,
) -> None:
    before = trigger_sql()
    assert before is not None
    with transaction.atomic(), indexed_in_batches() as index:
        assert trigger_sql() is None
        quiet = factories.make_account(structure_a, "PER", "sans.trigger@ch-a.fr")
        assert indexed_candidates("sans.trigger") == []  # no trigger: not indexed yet
        index([quiet.pk])
        assert indexed_candidates("sans.trigger") == [quiet.pk]
    assert trigger_sql() == before
    later = factories.make_account(structure_a, "PER", "apres.bloc@ch-a.fr")
    assert indexed_candidates("apres.bloc") == [later.pk]  # the trigger again


@sqlite_only
def test_a_failure_inside_leaves_the_trigger_and_no_row(structure_a: Structure) -> None:
    before = trigger_sql()

    def fail() -> None:
        with transaction.atomic(), indexed_in_batches():
            factories.make_account(structure_a, "PER", "perdu@ch-a.fr")
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fail()
    assert trigger_sql() == before
    assert not Account.objects.filter(email="perdu@ch-a.fr").exists()


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_it_refuses() -> None:
    with pytest.raises(RuntimeError), indexed_in_batches():
        pass
    assert trigger_sql() is not None


def test_an_import_finds_its_accounts_in_the_console_search(structure_a: Structure) -> None:
    lines = [line("PER", f"lot.{i}@ch-a.fr", last_name=f"LOTNOM{i}") for i in range(30)]
    result = import_loadusers(cli_context(), structure_a, csv_bytes(lines))
    assert result.created == 30
    ids = dict(Account.objects.filter(structure=structure_a).values_list("email", "pk"))
    if connection.vendor == "sqlite":
        assert trigger_sql() is not None
        assert sorted(indexed_candidates("lotnom2") or []) == sorted(
            ids[f"lot.{i}@ch-a.fr"] for i in (2, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29)
        )
    with transaction.atomic(), indexed_in_batches() as index:
        index([])  # nothing to do; on PostgreSQL nothing ever
