"""The console's account search (caducee/accounts/queries.py `search_accounts`): the same
answers on both databases, through the trigram index on SQLite (migration accounts 0010)."""

from __future__ import annotations

import pytest
from django.db import connection

from caducee.accounts import queries
from caducee.accounts.models import Account
from caducee.accounts.queries import indexed_candidates, search_accounts
from caducee.structures.models import Structure
from tests import factories


def emails(structure: Structure, query: str) -> list[str]:
    return list(search_accounts(structure, query).values_list("email", flat=True))


@pytest.fixture
def people(structure_a: Structure, structure_b: Structure) -> Structure:
    """Accounts made, then given their names and numbers by UPDATE (the triggers index
    both the insert and the update)."""
    rows = [
        (structure_a, "jeanne.leroux@ch-a.fr", "LEROUX", "Jeanne", "10001234567", ""),
        (structure_a, "p.dupont@ch-a.fr", "DUPONT", "Éloïse", "", "751234567"),
        (structure_b, "jeanne.autre@ch-b.fr", "LEROUX", "Jeanne", "", ""),
    ]
    for structure, email, last, first, rpps, adeli in rows:
        account = factories.make_account(structure, "PER", email)
        Account.objects.filter(pk=account.pk).update(
            last_name=last, first_name=first, rpps=rpps, adeli=adeli
        )
    return structure_a


@pytest.mark.parametrize("candidates", [queries.CANDIDATES, 0], ids=["index", "scan"])
def test_it_finds_a_part_of_the_email_or_names_or_the_start_of_a_number(
    people: Structure, monkeypatch: pytest.MonkeyPatch, candidates: int
) -> None:
    monkeypatch.setattr(queries, "CANDIDATES", candidates)  # 0: the index never narrows
    assert emails(people, "leroux") == ["jeanne.leroux@ch-a.fr"]  # not structure B's
    assert emails(people, "JEANNE.LER") == ["jeanne.leroux@ch-a.fr"]
    assert emails(people, "upon") == ["p.dupont@ch-a.fr"]
    assert emails(people, "loïse") == ["p.dupont@ch-a.fr"]
    assert emails(people, "ch-a.fr") == ["jeanne.leroux@ch-a.fr", "p.dupont@ch-a.fr"]
    assert emails(people, "1000123") == ["jeanne.leroux@ch-a.fr"]  # RPPS
    assert emails(people, "7512 345") == ["p.dupont@ch-a.fr"]  # ADELI, spaces ignored
    assert emails(people, "0123") == []  # inside the number: not its start
    assert emails(people, "zzzz") == []
    assert emails(people, 'a"b') == []
    assert emails(people, "du") == ["p.dupont@ch-a.fr"]  # two characters: no index


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the trigram index is SQLite's")
def test_the_index_follows_the_accounts(people: Structure) -> None:
    account = Account.objects.get(email="p.dupont@ch-a.fr")
    assert indexed_candidates("dupont") == [account.pk]
    Account.objects.filter(pk=account.pk).update(last_name="DURAND", email="p.durand@ch-a.fr")
    assert indexed_candidates("dupont") == []
    assert indexed_candidates("durand") == [account.pk]
    Account.objects.filter(pk=account.pk).update(state="desactive")  # no indexed column
    assert indexed_candidates("durand") == [account.pk]
    Account.objects.filter(pk=account.pk).delete()
    assert indexed_candidates("durand") == []
    assert indexed_candidates("du") is None  # under three characters


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the trigram index is SQLite's")
def test_the_candidates_are_reached_by_id(people: Structure) -> None:
    """The ids from the index drive the query: no index of the structure's accounts (a walk
    of all of them in email order) is chosen instead."""
    rows = search_accounts(people, "leroux", state="valide")[:51]
    with connection.cursor() as cursor:
        sql, params = rows.query.sql_with_params()
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "INTEGER PRIMARY KEY" in plan and "structure" not in plan, plan
