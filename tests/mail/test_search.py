"""Webmail search through the full-text index (caducee/mail/search.py, migration 0005)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.directory.search import terms
from caducee.mail import mime, operations, search
from caducee.mail.inbound import deliver_inbound
from caducee.mail.models import Message


def deliver(box: Account, subject: str, sender: str, body: str = "Texte.") -> Message:
    data = (
        f"From: {sender}\r\nTo: {box.email}\r\nSubject: {subject}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n"
    ).encode()
    return deliver_inbound(data, [box])[0]


def found(box: Account, query: str, rare: int | None = None) -> set[str]:
    return {m.subject for m in search.folder_messages(box.pk, "pro", "inbox", query, rare=rare)}


@pytest.fixture
def inbox(paul: Account, outsider: Account) -> Account:
    deliver(paul, "Résultats biologiques", "Dr Durand <durand@labo.mssante.fr>", "Glycémie normale")
    deliver(paul, "Compte rendu opératoire", "Dr Morel <morel@ch-b.mssante.fr>", "Suites simples")
    deliver(paul, "Compte rendu de consultation", "Dr Durand <durand@labo.mssante.fr>")
    deliver(outsider, "Compte rendu ailleurs", "Dr Durand <durand@labo.mssante.fr>")
    return paul


@pytest.mark.parametrize("rare", [search.RARE, 1], ids=["rare-words", "common-words"])
def test_every_word_is_a_whole_word_or_a_short_start_accents_and_case_ignored(
    inbox: Account, rare: int
) -> None:
    assert found(inbox, "resultat", rare) == {"Résultats biologiques"}  # with an ending
    assert found(inbox, "GLYCEMIE", rare) == {"Résultats biologiques"}
    assert found(inbox, "compte rendu", rare) == {
        "Compte rendu opératoire",
        "Compte rendu de consultation",
    }
    assert found(inbox, "compte durand", rare) == {"Compte rendu de consultation"}
    assert found(inbox, "labo.mssante", rare) == {
        "Résultats biologiques",
        "Compte rendu de consultation",
    }
    assert found(inbox, "ch-b", rare) == {"Compte rendu opératoire"}
    assert found(inbox, "endu", rare) == set()  # not the start of a word
    assert found(inbox, "operatoire", rare) == {"Compte rendu opératoire"}
    assert found(inbox, "operat", rare) == set()  # four letters or more: a whole word
    assert found(inbox, "glyc", rare) == set()
    assert found(inbox, "mor", rare) == {"Compte rendu opératoire"}  # 2-3: start of a word
    assert found(inbox, "dr du", rare) == {"Résultats biologiques", "Compte rendu de consultation"}
    assert found(inbox, "d", rare) == set()  # one character: a whole word
    assert found(inbox, "ailleurs", rare) == set()  # another mailbox's message
    assert found(inbox, "m1", rare) == set()  # the folder word is not searched


def test_endings_plural_and_feminine(paul: Account) -> None:
    deliver(paul, "Analyses rendues", "x@labo.mssante.fr")
    deliver(paul, "Travaux", "x@labo.mssante.fr")
    assert found(paul, "analyse") == {"Analyses rendues"}
    assert found(paul, "rendu") == {"Analyses rendues"}
    assert found(paul, "travau") == {"Travaux"}
    assert found(paul, "analyses rendues") == {"Analyses rendues"}
    assert found(paul, "analy") == set()  # not an ending the rule adds


def test_the_query_syntax_around_the_words() -> None:
    assert search.fts_query("m1sprodinbox", ["dr", "rendu"]) == (
        'place : "m1sprodinbox" AND {sender subject body_text} : '
        '("dr"* AND ("rendu" OR "rendus" OR "rendux" OR "rendue" OR "rendues"))'
    )
    assert search.ts_query(["dr", "a", "rendu"]) == (
        "dr:* & a & (rendu | rendus | rendux | rendue | rendues)"
    )


def test_punctuation_alone_searches_nothing(inbox: Account) -> None:
    assert len(found(inbox, "« » -- @")) == 3
    assert terms("Dr. Évelyne O'Neil, 13008!") == ["dr", "evelyne", "o", "neil", "13008"]


def test_the_index_follows_edits_and_deletions_not_flag_changes(inbox: Account) -> None:
    message = Message.objects.get(mailbox=inbox, subject="Résultats biologiques")
    Message.objects.filter(pk=message.pk).update(seen=True)
    assert found(inbox, "biologiques") == {"Résultats biologiques"}
    Message.objects.filter(pk=message.pk).update(folder="archive")
    assert found(inbox, "biologiques") == set()  # moved out of the folder searched
    Message.objects.filter(pk=message.pk).update(folder="inbox")
    assert found(inbox, "biologiques") == {"Résultats biologiques"}
    Message.objects.filter(pk=message.pk).update(subject="Bilan hépatique")
    assert found(inbox, "biologiques") == set()
    assert found(inbox, "hepatique") == {"Bilan hépatique"}
    Message.objects.filter(pk=message.pk).delete()
    assert found(inbox, "hepatique") == set()


def test_a_folder_is_searched_through_the_index(inbox: Account) -> None:
    rows = operations.messages_in(inbox, "pro", "inbox", "opératoire")
    assert [m.subject for m in rows] == ["Compte rendu opératoire"]


# The folding of migration 0006's SQL (`translate`), which mime.SEARCH_FOLD repeats.
MIGRATION_0006_FOLDING = ("àâäáãåçéèêëíìîïñóòôöõúùûüýÿ@.<>&", "aaaaaaceeeeiiiinooooouuuuyy     ")
ACCENTED_BODY = "Résultat de l'ÉCHO <Dr.Morel@ch-b.mssante.fr> & Çà et là, CŒUR Éléments"
STORED_TEXT = ACCENTED_BODY + "\r\n"  # the text part as `deliver` writes it


def test_the_search_text_is_stored_folded(paul: Account) -> None:
    """Lower case, accents to their base letter, `@ . < > &` to spaces (mime.SEARCH_FOLD);
    other letters (œ) as they are."""
    row = deliver(paul, "Objet", "Dr Durand <durand@labo.mssante.fr>", ACCENTED_BODY)
    stored = Message.objects.get(pk=row.pk).body_text
    assert stored == "resultat de l'echo  dr morel ch-b mssante fr    ca et la, cœur elements\r\n"
    assert found(paul, "echo morel elements") == {"Objet"}
    assert str.maketrans(*MIGRATION_0006_FOLDING) == mime.SEARCH_FOLD


def _vectors(pk: int, text: str) -> tuple[str, str]:
    """The stored vector of a message, and migration 0006's over its sender, subject and
    `text`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector::text, to_tsvector('simple', translate(lower(sender || ' ' "
            "|| subject || ' ' || %s), %s, %s))::text FROM mail_message WHERE id = %s",
            [text, *MIGRATION_0006_FOLDING, pk],
        )
        stored, expected = cursor.fetchone()
    return stored, expected


def test_the_postgresql_vector_is_the_one_of_the_unfolded_text(paul: Account) -> None:
    """Migration 0008 folds the text in the application: the vector stays the one migration
    0006 computed from the unfolded text in SQL, positions included."""
    if connection.vendor != "postgresql":
        pytest.skip("the stored tsvector is PostgreSQL's")
    row = deliver(
        paul, "Compte Rendu OPÉRATOIRE", "Dr Élise <elise@ch-b.mssante.fr>", ACCENTED_BODY
    )
    stored, unfolded = _vectors(row.pk, STORED_TEXT)
    assert stored == unfolded
    assert "'operatoire':" in stored and "'elise':" in stored and "'morel':" in stored


@pytest.mark.django_db(transaction=True)
def test_migration_0008_keeps_the_rows_stored_before_searchable() -> None:
    """The column stops being generated without being computed again: a row stored before
    (its text not folded) keeps its vector, gets the right one when its subject changes,
    and the way back restores migration 0006's generated column."""
    before, after = [("mail", "0007_mss_autoreply")], [("mail", "0008_search_text_folded")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    structure = apps.get_model("structures", "Structure").objects.create(
        name="A", id_type="SIRET", id_number="11111111111111"
    )
    box = apps.get_model("accounts", "Account").objects.create(
        structure=structure, email="box@a.mssante.fr", type="ORG", state="valide"
    )
    old = apps.get_model("mail", "Message").objects.create(
        mailbox_id=box.pk,
        sender="Dr X <x@a.fr>",
        subject="Écho",
        body_text=STORED_TEXT,
        received_at=timezone.now(),
        path="1/cur/x",
    )
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        stored, expected = _vectors(old.pk, STORED_TEXT)
        assert stored == expected
    MigrationExecutor(connection).migrate(after)
    assert Message.objects.get(pk=old.pk).body_text == STORED_TEXT  # not rewritten
    if not postgresql:
        return
    assert _vectors(old.pk, STORED_TEXT) == (stored, expected)
    Message.objects.filter(pk=old.pk).update(subject="Écho RÉNAL")
    stored, expected = _vectors(old.pk, STORED_TEXT)
    assert stored == expected and "'renal':" in stored and "'morel':" in stored
    MigrationExecutor(connection).migrate(before)
    stored, expected = _vectors(old.pk, STORED_TEXT)
    assert stored == expected
    MigrationExecutor(connection).migrate(after)
