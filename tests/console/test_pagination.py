"""Keyset pagination: walking forward or backward visits every row once, in order."""

from __future__ import annotations

import pytest

from caducee.accounts.models import Account, AccountState
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.audit.models import AuditEvent
from caducee.console.pagination import seek_page
from caducee.core.context import cli_context
from caducee.structures.models import Structure

pytestmark = pytest.mark.django_db


@pytest.fixture
def emails(structure_a: Structure) -> list[str]:
    Account.objects.bulk_create(
        Account(
            structure=structure_a,
            email=f"p{n:03d}@ch-a.fr",
            last_name="X",
            first_name="Y",
            type="MED",
            state=AccountState.VALID,
        )
        for n in range(137)
    )
    return sorted(Account.objects.values_list("email", flat=True))


@pytest.mark.parametrize("size", [1, 10, 50, 137, 200])
def test_forward_then_backward_visits_every_row_once(emails: list[str], size: int) -> None:
    queryset = Account.objects.all()
    seen: list[str] = []
    page = seek_page(queryset, "email", size=size)
    assert page.prev_cursor is None
    while True:
        seen += [a.email for a in page.items]
        if page.next_cursor is None:
            break
        page = seek_page(queryset, "email", after=page.next_cursor, size=size)
    assert seen == emails
    back: list[str] = list(reversed([a.email for a in page.items]))
    while page.prev_cursor is not None:
        page = seek_page(queryset, "email", before=page.prev_cursor, size=size)
        back += list(reversed([a.email for a in page.items]))
    assert back == list(reversed(emails))


def test_descending_integer_keys(structure_a: Structure) -> None:
    for n in range(25):
        record_event(
            cli_context(), AuditAction.ACCOUNT_UPDATE, structure=structure_a, target_label=str(n)
        )
    events = AuditEvent.objects.filter(structure=structure_a)
    first = seek_page(events, "seq", size=10, descending=True, convert=int)
    second = seek_page(
        events, "seq", after=first.next_cursor or "", size=10, descending=True, convert=int
    )
    seqs = [e.seq for e in first.items + second.items]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == 20


def test_a_garbled_cursor_shows_the_first_page(emails: list[str]) -> None:
    events = AuditEvent.objects.all()
    page = seek_page(events, "seq", after="pas-un-nombre", size=5, descending=True, convert=int)
    assert page.prev_cursor is None
