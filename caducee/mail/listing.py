"""One page of a webmail folder, by keyset: newest first, and the cursors are message ids.

« Plus anciens » asks for the rows after the last one shown (`?avant=<id>`), « Plus
récents » for the rows before the first one shown (`?apres=<id>`): each page is one walk
of the `mail_list` index from the cursor, as fast at the end of a million messages as at
the start (an OFFSET would read every row before the page). A cursor that left the folder
(moved, deleted) gives the first page.

A search with many matches on SQLite (`caducee.mail.search.IndexWalk`) reads the next
`WINDOW` ids of the folder from the cursor, keeps those the full-text index matches, and
fetches the page's rows by id; a window with too few matches falls back to one `IN` over
every match of the folder (exact, slower)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from caducee.mail.models import Message
from caducee.mail.search import IndexWalk

WINDOW = 5_000  # ids of the folder read per page when the search walks the index


@dataclass(frozen=True)
class FolderPage:
    rows: list[Message]
    newer: int | None  # cursor for « Plus récents » (`apres`), None on the first page
    older: int | None  # cursor for « Plus anciens » (`avant`), None on the last page


def _anchor(rows: QuerySet[Message], cursor: int | None) -> tuple[datetime, int] | None:
    if cursor is None:
        return None
    found = rows.filter(pk=cursor).values_list("received_at", "id").first()
    return (found[0], found[1]) if found else None


def older_than(rows: QuerySet[Message], at: datetime, pk: int) -> QuerySet[Message]:
    # `received_at <= at` bounds the index range; the OR only sorts out equal dates.
    return rows.filter(received_at__lte=at).filter(Q(received_at__lt=at) | Q(id__lt=pk))


def newer_than(rows: QuerySet[Message], at: datetime, pk: int) -> QuerySet[Message]:
    return rows.filter(received_at__gte=at).filter(Q(received_at__gt=at) | Q(id__gt=pk))


def _take(
    ordered: QuerySet[Message], count: int, walk: IndexWalk | None, fields: Sequence[str]
) -> list[Message]:
    """The first `count` rows of `ordered` (the walk's matches only, with a walk)."""
    if walk is None:
        return list(ordered[:count])
    window = list(ordered.values_list("id", flat=True)[:WINDOW])
    matching = walk.matching(window)
    if matching is not None:
        ids = [pk for pk in window if pk in matching][:count]
        if len(ids) == count or len(window) < WINDOW:
            rows = walk.by_id(ids)
            found = (rows.only(*fields) if fields else rows).in_bulk(ids)
            return [found[pk] for pk in ids if pk in found]
    return list(walk.every(ordered)[:count])


def folder_page(
    rows: QuerySet[Message],
    *,
    size: int,
    before: int | None = None,
    after: int | None = None,
    walk: IndexWalk | None = None,
    fields: Sequence[str] = (),
) -> FolderPage:
    """The page of `rows` (newest first) after the message `before` (older ones), or before
    the message `after` (newer ones), or the first page. With `walk`, `rows` is the whole
    folder and the page keeps the walk's matches. `fields`: the only columns loaded."""
    if fields:
        rows = rows.only(*fields)
    anchor = _anchor(rows, before if before is not None else after)
    if anchor is not None and before is not None:
        older = older_than(rows, *anchor).order_by("-received_at", "-id")
        found = _take(older, size + 1, walk, fields)
        page = found[:size]
        return FolderPage(page, page[0].pk if page else None, _last(page, found, size))
    if anchor is not None:
        newer = newer_than(rows, *anchor).order_by("received_at", "id")
        found = _take(newer, size + 1, walk, fields)
        page = found[:size][::-1]
        if len(found) <= size:  # back at the top: the plain first page, complete
            return folder_page(rows, size=size, walk=walk, fields=fields)
        return FolderPage(page, page[0].pk, page[-1].pk)
    found = _take(rows.order_by("-received_at", "-id"), size + 1, walk, fields)
    page = found[:size]
    return FolderPage(page, None, _last(page, found, size))


def _last(page: list[Message], found: list[Message], size: int) -> int | None:
    return page[-1].pk if len(found) > size else None
