"""Login-code rules: 6 digits, hashed, 10 minutes, 5 tries, one new code a minute."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from caducee.identity import codes
from caducee.identity.models import LoginCode
from caducee.people.models import User


def test_it_stores_only_a_hash(charlie: User) -> None:
    code = codes.issue(charlie)
    row = LoginCode.objects.get(user=charlie)
    assert len(code) == 6 and code.isdigit()
    assert code not in row.code_hash


def test_it_accepts_the_right_code_once(charlie: User) -> None:
    code = codes.issue(charlie)
    assert codes.verify(charlie, code).ok
    assert not codes.verify(charlie, code).ok


def test_it_ignores_spaces_in_the_typed_code(charlie: User) -> None:
    code = codes.issue(charlie)
    assert codes.verify(charlie, f"{code[:3]} {code[3:]}").ok


def test_it_expires_after_ten_minutes(charlie: User) -> None:
    start = timezone.now()
    code = codes.issue(charlie, now=start)
    assert not codes.verify(charlie, code, now=start + timedelta(minutes=10, seconds=1)).ok
    assert codes.verify(charlie, code, now=start + timedelta(minutes=9, seconds=59)).ok


def test_it_allows_five_tries(charlie: User) -> None:
    code = codes.issue(charlie)
    wrong = "000000" if code != "000000" else "111111"
    remaining = [codes.verify(charlie, wrong).remaining for _ in range(5)]
    assert remaining == [4, 3, 2, 1, 0]
    verdict = codes.verify(charlie, code)
    assert not verdict.ok and verdict.dead


def test_it_refuses_a_new_code_within_a_minute(charlie: User) -> None:
    start = timezone.now()
    codes.issue(charlie, now=start)
    with pytest.raises(codes.TooSoon) as caught:
        codes.issue(charlie, now=start + timedelta(seconds=30))
    assert 29 <= caught.value.seconds <= 30
    codes.issue(charlie, now=start + timedelta(seconds=61))


def test_a_new_code_replaces_the_older_one(charlie: User) -> None:
    start = timezone.now()
    first = codes.issue(charlie, now=start)
    second = codes.issue(charlie, now=start + timedelta(seconds=61))
    later = start + timedelta(seconds=62)
    if first != second:
        assert not codes.verify(charlie, first, now=later).ok
    assert codes.verify(charlie, second, now=later).ok


def test_a_used_code_does_not_delay_the_next_login(charlie: User) -> None:
    start = timezone.now()
    code = codes.issue(charlie, now=start)
    assert codes.verify(charlie, code, now=start).ok
    codes.issue(charlie, now=start + timedelta(seconds=5))


def test_exhausted_tries_still_wait_for_the_minute(charlie: User) -> None:
    start = timezone.now()
    code = codes.issue(charlie, now=start)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        codes.verify(charlie, wrong, now=start)
    with pytest.raises(codes.TooSoon):
        codes.issue(charlie, now=start + timedelta(seconds=5))


def test_parallel_guesses_cannot_exceed_the_tries(charlie: User) -> None:
    """A guess that read the code before parallel guesses used its last try is not
    evaluated (the try is claimed with UPDATE … WHERE attempts < 5, review L10)."""
    from typing import Any

    from django.db import connection

    code = codes.issue(charlie)
    row = LoginCode.objects.get(user=charlie)
    LoginCode.objects.filter(pk=row.pk).update(attempts=4)
    fired: list[bool] = []

    def parallel_guess(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        if not fired and sql.lstrip().upper().startswith("SELECT") and "logincode" in sql:
            fired.append(True)  # right after this request read the code (attempts = 4)…
            with connection.cursor() as cursor:  # …another wrong guess used the last try
                cursor.execute("UPDATE identity_logincode SET attempts = 5 WHERE id = %s", [row.pk])
        return result

    with connection.execute_wrapper(parallel_guess):
        verdict = codes.verify(charlie, code)
    assert fired
    assert not verdict.ok and verdict.dead
    assert LoginCode.objects.get(pk=row.pk).attempts == 5
