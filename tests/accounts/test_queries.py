"""The console's account search (caducee/accounts/queries.py `search_accounts`): the same
answers on both databases, through the trigram index on SQLite (migration accounts 0010)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from caducee.accounts import queries
from caducee.accounts.models import Account
from caducee.accounts.queries import indexed_candidates, nominative_candidates, search_accounts
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


def test_the_suggestions_find_an_email_a_last_or_a_first_name(people: Structure) -> None:
    scope = Structure.objects.filter(pk=people.pk)
    found = [a.email for a in nominative_candidates(scope, "jeanne")]
    assert found == ["jeanne.leroux@ch-a.fr"]  # not structure B's Jeanne
    assert [a.email for a in nominative_candidates(scope, "LOïs")] == ["p.dupont@ch-a.fr"]
    assert [a.email for a in nominative_candidates(scope, "du")] == ["p.dupont@ch-a.fr"]
    assert nominative_candidates(scope, "  ") == []


def _explain(sql: str, params: Any = (), *, seqscan: bool = True) -> str:
    """PostgreSQL's plan of a query, on one line (`seqscan=False`: as if the table were big)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if not seqscan:
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return " ".join(row[0] for row in cursor.fetchall())


def _search_plan(structure: Structure, query: str) -> str:
    return _explain(*search_accounts(structure, query)[:51].query.sql_with_params())


def _stored_search_text(account_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_text FROM accounts_account WHERE id = %s", [account_id])
        return str(cursor.fetchone()[0])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="search_text is PostgreSQL's")
def test_search_text_follows_the_accounts_and_is_what_the_search_reads(people: Structure) -> None:
    """Migration 0011's stored column holds the upper-cased email, last and first names; the
    search compares it alone (no `upper()` per account), with a constant pattern that its
    trigram index answers from three characters."""
    account = Account.objects.get(email="p.dupont@ch-a.fr")
    assert _stored_search_text(account.pk) == "P.DUPONT@CH-A.FR\x1fDUPONT\x1fÉLOÏSE"
    Account.objects.filter(pk=account.pk).update(first_name="Zoé")
    assert _stored_search_text(account.pk) == "P.DUPONT@CH-A.FR\x1fDUPONT\x1fZOÉ"
    assert emails(people, "oé") == ["p.dupont@ch-a.fr"]
    assert emails(people, "T@CH") == ["p.dupont@ch-a.fr"]
    assert emails(people, "dupontzoé") == []  # never across two values
    for query, pattern in [("leroux", "%LEROUX%"), ("du", "%DU%")]:
        plan = _search_plan(people, query)  # the pattern, a constant: the index can serve it
        assert f"search_text ~~ '{pattern}'" in plan and "upper" not in plan.lower(), plan
    plan = _explain(
        "SELECT id FROM accounts_account WHERE search_text LIKE '%%LEROUX%%'", seqscan=False
    )
    assert "account_search_text_trgm" in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="search_text is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_migration_0011_fills_search_text_and_goes_back() -> None:
    before = [("accounts", "0010_pages_account_search_fts")]
    after = [("accounts", "0011_pages_account_search_text")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    structure = apps.get_model("structures", "Structure").objects.create(
        name="A", id_type="SIRET", id_number="11111111111111"
    )
    old = apps.get_model("accounts", "Account").objects.create(
        structure=structure, email="a.b@a.fr", last_name="Bé", first_name="Al", state="valide"
    )

    def indexes() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'accounts_account' "
                "AND indexname LIKE '%%_trgm'"
            )
            return {row[0] for row in cursor.fetchall()}

    per_column = {"account_email_trgm", "account_last_name_trgm", "account_first_name_trgm"}
    assert per_column <= indexes()
    MigrationExecutor(connection).migrate(after)
    assert not per_column & indexes() and "account_search_text_trgm" in indexes()
    assert _stored_search_text(old.pk) == "A.B@A.FR\x1fBÉ\x1fAL"
    MigrationExecutor(connection).migrate(before)
    assert per_column <= indexes() and "account_search_text_trgm" not in indexes()
    MigrationExecutor(connection).migrate(after)
