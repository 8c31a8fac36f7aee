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
