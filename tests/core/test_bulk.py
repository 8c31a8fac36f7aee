"""Multi-row inserts of the import, on the database the suite runs on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from caducee.core.bulk import insert_keyed, insert_rows
from caducee.people.models import User

pytestmark = pytest.mark.django_db

COLUMNS = ("email", "first_name", "last_name", "password", "is_active", "is_operator")


def person(email: str) -> tuple[str, str, str, str, bool, bool]:
    return (email, "Jeanne", "DUPONT", "!", True, False)


def test_insert_keyed_returns_the_key_of_each_new_row() -> None:
    User.objects.create_user("avant@example.org", "Mot-de-passe-assez-long")
    rows = [person(f"p{i}@example.org") for i in range(5)]
    ids = insert_keyed(
        User, (*COLUMNS, "date_joined"), [(*r, timezone.now()) for r in rows], "email"
    )
    assert ids == dict(User.objects.filter(email__startswith="p").values_list("email", "pk"))
    assert len(set(ids.values())) == 5


def test_rows_created_afterwards_get_new_keys() -> None:
    """On PostgreSQL the keys come from the table's sequence: later inserts go on from it."""
    ids = insert_keyed(
        User, (*COLUMNS, "date_joined"), [(*person("a@example.org"), timezone.now())], "email"
    )
    later = User.objects.create_user("b@example.org", "Mot-de-passe-assez-long")
    assert later.pk not in ids.values()
    insert_rows(User, (*COLUMNS, "date_joined"), [(*person("c@example.org"), timezone.now())])
    assert User.objects.count() == 3


def test_a_timestamp_shared_by_rows_is_stored_on_each_and_others_keep_theirs() -> None:
    """Issue #19: one adaptation of a batch's timestamp is reused, never a stale one."""
    now = timezone.now()
    other = now - timedelta(days=3)
    rows = [
        (*person("a@example.org"), now, None),
        (*person("b@example.org"), now, other),
        (*person("c@example.org"), other, now),
        (*person("d@example.org"), now, None),
    ]
    insert_rows(User, (*COLUMNS, "date_joined", "last_login"), rows)
    stored = dict(User.objects.values_list("email", "date_joined"))
    logins = dict(User.objects.values_list("email", "last_login"))
    assert stored == {
        "a@example.org": now,
        "b@example.org": now,
        "c@example.org": other,
        "d@example.org": now,
    }
    assert logins == {
        "a@example.org": None,
        "b@example.org": other,
        "c@example.org": now,
        "d@example.org": None,
    }


def test_drawn_keys_never_reuse_a_deleted_rows_key() -> None:
    """Keys are drawn before the insert on both backends (issue #19): after the newest row
    is deleted, its key is not handed out again (AUTOINCREMENT, the sequence)."""
    first = insert_keyed(
        User,
        (*COLUMNS, "date_joined"),
        [(*person(f"a{i}@example.org"), timezone.now()) for i in range(3)],
        "email",
    )
    newest = max(first.values())
    User.objects.filter(pk=newest).delete()
    again = insert_keyed(
        User,
        (*COLUMNS, "date_joined"),
        [(*person(f"b{i}@example.org"), timezone.now()) for i in range(2)],
        "email",
    )
    assert min(again.values()) > newest
    assert again == dict(User.objects.filter(email__startswith="b").values_list("email", "pk"))
    later = User.objects.create_user("c@example.org", "Mot-de-passe-assez-long")
    assert later.pk > max(again.values())


def test_copies_in_background_write_the_same_rows_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: inside `copies_in_background` each COPY runs on the copying thread, and
    every other query sees the rows asked before it (issue #19). SQLite: no thread, the
    same rows."""
    import threading

    from django.db import connection, transaction

    from caducee.core import bulk

    threads: list[str] = []
    copy = bulk._copy

    def spy(*args: object) -> None:
        threads.append(threading.current_thread().name)
        copy(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(bulk, "_copy", spy)
    counts = []
    with transaction.atomic(), bulk.copies_in_background():
        for batch in range(3):
            rows = [person(f"b{batch}-{i}@example.org") for i in range(4)]
            ids = bulk.insert_keyed(
                User, (*COLUMNS, "date_joined"), [(*r, timezone.now()) for r in rows], "email"
            )
            counts.append(User.objects.filter(email__startswith="b").count())
            assert len(ids) == 4
        bulk.insert_rows(
            User, (*COLUMNS, "date_joined"), [(*person("z@example.org"), timezone.now())]
        )
    assert counts == [4, 8, 12]
    assert User.objects.filter(email__startswith="b").count() == 12
    assert User.objects.filter(email="z@example.org").exists()
    if connection.vendor == "postgresql":
        assert len(threads) == 4 and all(name.startswith("copy") for name in threads)
        assert threading.current_thread().name not in threads
    else:
        assert threads == []
    assert bulk._active.background is None


def test_a_failed_background_copy_raises_its_own_error_and_writes_nothing() -> None:
    """The first COPY's error is raised (by the next query, or at the end of the block),
    not the aborted transaction's; the later COPYs are not attempted, nothing is kept."""
    from django.db import IntegrityError, connection, transaction

    from caducee.core.bulk import _active, copies_in_background

    User.objects.create_user("pris@example.org", "Mot-de-passe-assez-long")
    columns = (*COLUMNS, "date_joined")
    expected: type[Exception] = IntegrityError
    if connection.vendor == "postgresql":
        from psycopg.errors import UniqueViolation

        expected = UniqueViolation

    def write(then_query: bool) -> None:
        with transaction.atomic(), copies_in_background():
            insert_rows(User, columns, [(*person("nouveau@example.org"), timezone.now())])
            insert_rows(User, columns, [(*person("pris@example.org"), timezone.now())])
            insert_rows(User, columns, [(*person("apres@example.org"), timezone.now())])
            if then_query:
                User.objects.count()

    for then_query in (True, False):
        with pytest.raises(expected):
            write(then_query)
        assert _active.background is None
        assert not User.objects.filter(email__in=["nouveau@example.org", "apres@example.org"])
