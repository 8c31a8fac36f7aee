"""Keyset pages of a webmail folder (caducee/mail/listing.py), in the view and the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.mail import listing, search
from caducee.mail.listing import folder_page
from caducee.mail.models import Message
from tests.helpers import bearer_client, page_queries
from tests.mail.conftest import user_of


def fill(box: Account, n: int, *, same_time: bool = False) -> list[int]:
    """`n` messages, newest first in the returned ids (ties on the date when `same_time`)."""
    now = timezone.now()
    rows = [
        Message(
            mailbox=box,
            space="pro",
            folder="inbox",
            subject=f"Message {i}",
            received_at=now if same_time else now - timedelta(minutes=i),
            path=f"x/{i}",
        )
        for i in range(n)
    ]
    created = Message.objects.bulk_create(rows)
    ids = [m.pk for m in created]
    return sorted(ids, reverse=True) if same_time else ids


def inbox(box: Account) -> Any:
    return Message.objects.filter(mailbox=box, space="pro", folder="inbox").order_by(
        "-received_at", "-id"
    )


@pytest.mark.parametrize("same_time", [False, True], ids=["dates", "equal-dates"])
def test_pages_walk_the_folder_both_ways_without_gaps(paul: Account, same_time: bool) -> None:
    ids = fill(paul, 7, same_time=same_time)
    first = folder_page(inbox(paul), size=3)
    assert [m.pk for m in first.rows] == ids[:3] and first.newer is None
    second = folder_page(inbox(paul), size=3, before=first.older)
    assert [m.pk for m in second.rows] == ids[3:6] and second.newer == ids[3]
    last = folder_page(inbox(paul), size=3, before=second.older)
    assert [m.pk for m in last.rows] == ids[6:] and last.older is None
    back = folder_page(inbox(paul), size=3, after=last.newer)
    assert [m.pk for m in back.rows] == ids[3:6] and back.older == ids[5]
    top = folder_page(inbox(paul), size=3, after=back.newer)
    assert [m.pk for m in top.rows] == ids[:3] and top.newer is None


def test_a_cursor_that_left_the_folder_gives_the_first_page(
    paul: Account, outsider: Account
) -> None:
    ids = fill(paul, 4)
    other = fill(outsider, 1)
    Message.objects.filter(pk=ids[1]).update(folder="trash")
    assert [m.pk for m in folder_page(inbox(paul), size=2, before=ids[1]).rows] == [ids[0], ids[2]]
    assert [m.pk for m in folder_page(inbox(paul), size=2, before=other[0]).rows] == [
        ids[0],
        ids[2],
    ]


def test_the_folder_page_links_older_and_newer_pages(
    client: Client, paul: Account, settings: Any
) -> None:
    settings.MAIL_PAGE_SIZE = 2
    ids = fill(paul, 5)
    client.force_login(user_of(paul))
    page = client.get("/messagerie/pro/inbox/").content.decode()
    assert "Plus récents" not in page and f"?avant={ids[1]}" in page
    page = client.get(f"/messagerie/pro/inbox/?avant={ids[1]}").content.decode()
    assert "Message 2" in page and "Message 1" not in page
    assert f"?apres={ids[2]}" in page and f"?avant={ids[3]}" in page
    page = client.get(f"/messagerie/pro/inbox/?avant={ids[3]}").content.decode()
    assert "Message 4" in page and "Plus anciens" not in page
    assert client.get("/messagerie/pro/inbox/?avant=abc&apres=-1").status_code == 200


def test_the_api_pages_with_before_id(paul: Account, outsider: Account) -> None:
    ids = fill(paul, 3)
    api = bearer_client(user_of(paul))
    url = f"/api/v1/mail/messages?mailbox={paul.email}&limit=2"
    first = api.get(url).json()
    assert [m["id"] for m in first] == ids[:2]
    rest = api.get(f"{url}&before_id={first[-1]['id']}").json()
    assert [m["id"] for m in rest] == ids[2:]
    foreign = fill(outsider, 1)[0]
    response = api.get(f"{url}&before_id={foreign}")
    assert response.status_code == 404 and "before_id" in response.json()["detail"]


@pytest.mark.parametrize("rare", [search.RARE, 1], ids=["few-matches", "index-walk"])
def test_deep_and_searched_pages_cost_a_fixed_number_of_queries(
    client: Client, paul: Account, settings: Any, monkeypatch: pytest.MonkeyPatch, rare: int
) -> None:
    monkeypatch.setattr(search, "RARE", rare)
    settings.MAIL_PAGE_SIZE = 5
    client.force_login(user_of(paul))

    def costs() -> list[int]:
        ids = list(inbox(paul).values_list("id", flat=True))
        middle = ids[len(ids) // 2]
        urls = [f"?avant={middle}", f"?apres={middle}", "?q=message", "?q=message+3"]
        return [page_queries(client, f"/messagerie/pro/inbox/{url}") for url in urls]

    fill(paul, 12)
    few = costs()
    fill(paul, 60)
    assert costs() == few


@pytest.mark.parametrize(
    ("window", "spread"),
    [(2, 4), (3, 4), (1000, 4), (3, 0)],
    ids=["small-window", "window", "whole-folder", "ids-out-of-order"],
)
def test_a_search_with_many_matches_walks_the_index_by_windows(
    paul: Account, outsider: Account, monkeypatch: pytest.MonkeyPatch, window: int, spread: int
) -> None:
    """SQLite: pages of a search found by windows of the folder's ids (`IndexWalk`), or,
    when a window's id range holds too many matches (spread 0), by the exact `IN`: the same
    pages as the plain filter, both ways, whatever the order of the ids and dates."""
    if connection.vendor != "sqlite":
        pytest.skip("the index walk is SQLite's")
    monkeypatch.setattr(search, "RARE", 1)
    monkeypatch.setattr(search, "SPREAD", spread)
    monkeypatch.setattr(listing, "WINDOW", window)
    now = timezone.now()
    made = Message.objects.bulk_create(
        Message(
            mailbox=paul,
            space="pro",
            folder="inbox",
            subject=f"{'Bilan' if i % 3 else 'Autre'} {i}",
            received_at=now - timedelta(minutes=(i * 7) % 11),  # dates not in id order
            path=f"x/{i}",
        )
        for i in range(11)
    )
    fill(outsider, 3)  # another mailbox's « Message » rows in the index
    expected = [
        m.pk
        for m in sorted(made, key=lambda m: (m.received_at, m.pk), reverse=True)
        if m.subject.startswith("Bilan")
    ]
    found = search.search_folder(paul.pk, "pro", "inbox", "bilan")
    assert found.walk is not None

    def page(**cursor: int | None) -> listing.FolderPage:
        rows = found.rows
        return listing.folder_page(rows, size=3, walk=found.walk, fields=["subject"], **cursor)

    seen, current = [], page()
    while True:
        seen += [m.pk for m in current.rows]
        if current.older is None:
            break
        current = page(before=current.older)
    assert seen == expected
    assert len(expected) == 7 and current.newer == expected[6]
    back = page(after=current.newer)
    assert [m.pk for m in back.rows] == expected[3:6]
    assert [m.pk for m in page(after=back.newer).rows] == expected[:3]
    assert list(found.matches().order_by("-received_at", "-id").values_list("pk", flat=True)) == (
        expected
    )
