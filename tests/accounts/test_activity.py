"""Activity dates: written once the transaction commits, at most once a day per mailbox,
and the login hook (the mail hooks are in tests/mail/test_activity.py)."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from caducee.accounts import activity
from caducee.accounts.activity import Activity
from caducee.accounts.models import Account
from caducee.identity.operations.login import complete_login
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import ctx_for


def _stamped(account: Account, kind: Activity) -> Any:
    account.refresh_from_db()
    return getattr(account, str(kind))


def test_a_note_is_written_once_the_transaction_commits(
    structure_a: Structure, django_capture_on_commit_callbacks: Any
) -> None:
    account = factories.make_account(structure_a, "MED")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        activity.note(Activity.RECEIVED, [account.pk])
    assert _stamped(account, Activity.RECEIVED) is None  # not before the commit
    for callback in callbacks:
        callback()
    stamped = _stamped(account, Activity.RECEIVED)
    assert stamped is not None and timezone.now() - stamped < timedelta(minutes=1)
    assert _stamped(account, Activity.SENT) is None  # only the kind noted


def test_it_is_not_rewritten_the_same_day(
    structure_a: Structure, django_capture_on_commit_callbacks: Any, django_assert_num_queries: Any
) -> None:
    account = factories.make_account(structure_a, "MED")
    with django_capture_on_commit_callbacks(execute=True):
        activity.note(Activity.SENT, [account.pk])
    first = _stamped(account, Activity.SENT)
    # The memo knows it: no query at all, nothing waits for the commit.
    with django_assert_num_queries(0), django_capture_on_commit_callbacks() as callbacks:
        activity.note(Activity.SENT, [account.pk])
    assert callbacks == []
    # Another process (an empty memo): the conditional UPDATE writes nothing.
    activity.forget()
    assert activity.stamp(Activity.SENT, [account.pk], timezone.localdate()) == 0
    assert _stamped(account, Activity.SENT) == first


def test_it_is_written_again_the_next_day(
    structure_a: Structure, django_capture_on_commit_callbacks: Any
) -> None:
    account = factories.make_account(structure_a, "MED")
    yesterday = timezone.now() - timedelta(days=1)
    Account.objects.filter(pk=account.pk).update(last_read_at=yesterday)
    with django_capture_on_commit_callbacks(execute=True):
        activity.note(Activity.READ, [account.pk])
    assert _stamped(account, Activity.READ) > yesterday + timedelta(hours=23)


def test_the_memo_is_emptied_when_the_day_changes(structure_a: Structure) -> None:
    account = factories.make_account(structure_a, "MED")
    today = timezone.localdate()
    assert activity.stamp(Activity.LOGIN, [account.pk], today) == 1
    assert activity._memo.pending(Activity.LOGIN, [account.pk], today) == []
    tomorrow = today + timedelta(days=1)
    assert activity._memo.pending(Activity.LOGIN, [account.pk], tomorrow) == [account.pk]


@pytest.mark.django_db(transaction=True)
def test_a_rollback_stamps_nothing(structure_a: Structure) -> None:
    account = factories.make_account(structure_a, "MED")

    def noted_then_failed() -> None:
        with transaction.atomic():
            activity.note(Activity.RECEIVED, [account.pk])
            raise RuntimeError

    with pytest.raises(RuntimeError):
        noted_then_failed()
    assert _stamped(account, Activity.RECEIVED) is None
    with transaction.atomic():
        activity.note(Activity.RECEIVED, [account.pk])  # not remembered by the rollback
    assert _stamped(account, Activity.RECEIVED) is not None


@pytest.mark.django_db(transaction=True)
def test_a_row_locked_by_another_transaction_is_skipped_not_waited_for(
    structure_a: Structure,
) -> None:
    """An import's writing pass holds its accounts for minutes: inbound mail must not wait."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite's writers take turns on the whole file")
    account = factories.make_account(structure_a, "MED")
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        with transaction.atomic():
            Account.objects.select_for_update().get(pk=account.pk)
            locked.set()
            release.wait(10)
        connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    today = timezone.localdate()
    try:
        started = time.monotonic()
        assert activity.stamp(Activity.RECEIVED, [account.pk], today) == 0
        assert time.monotonic() - started < 3
        # Not remembered: the next message of the day tries again.
        assert activity._memo.pending(Activity.RECEIVED, [account.pk], today) == [account.pk]
    finally:
        release.set()
        holder.join()
    assert activity.stamp(Activity.RECEIVED, [account.pk], today) == 1
    assert _stamped(account, Activity.RECEIVED) is not None


def test_several_mailboxes_in_one_update(
    structure_a: Structure, django_capture_on_commit_callbacks: Any
) -> None:
    one, two = (factories.make_account(structure_a, "MED") for _ in range(2))
    with django_capture_on_commit_callbacks(execute=True):
        activity.note(Activity.RECEIVED, [one.pk, two.pk, one.pk, None])
    assert _stamped(one, Activity.RECEIVED) is not None
    assert _stamped(two, Activity.RECEIVED) is not None


def test_start_of_day_is_local_midnight() -> None:
    start = activity.start_of_day(date(2026, 7, 1))
    local = timezone.localtime(start)
    assert (local.hour, local.minute, local.date()) == (0, 0, date(2026, 7, 1))


def test_last_activity_is_the_latest_of_the_four(structure_a: Structure) -> None:
    account = factories.make_account(structure_a, "MED")
    assert activity.last_activity(account) is None
    now = timezone.now()
    account.last_login_at = now - timedelta(days=3)
    account.last_received_at = now - timedelta(days=1)
    assert activity.last_activity(account) == account.last_received_at


def test_login_stamps_the_person_s_mailbox(
    structure_a: Structure, django_capture_on_commit_callbacks: Any
) -> None:
    account = factories.make_account(structure_a, "PER")
    assert account.user is not None
    with django_capture_on_commit_callbacks(execute=True):
        complete_login(ctx_for(account.user), account.user, "email")
    assert _stamped(account, Activity.LOGIN) is not None
    assert _stamped(account, Activity.SENT) is None


def test_login_of_an_admin_without_mailbox_stamps_nothing(
    alice: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        complete_login(ctx_for(alice), alice, "email")
    assert not Account.objects.filter(last_login_at__isnull=False).exists()
