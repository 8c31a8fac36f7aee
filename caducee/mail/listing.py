"""One page of a webmail folder, by keyset: newest first, and the cursors are message ids.

« Plus anciens » asks for the rows after the last one shown (`?avant=<id>`), « Plus
récents » for the rows before the first one shown (`?apres=<id>`): each page is one walk
of the `mail_list` index from the cursor, as fast at the end of a million messages as at
the start (an OFFSET would read every row before the page). A cursor that left the folder
(moved, deleted) gives the first page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from caducee.mail.models import Message


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


def folder_page(
    rows: QuerySet[Message], *, size: int, before: int | None = None, after: int | None = None
) -> FolderPage:
    """The page of `rows` (newest first) after the message `before` (older ones), or before
    the message `after` (newer ones), or the first page."""
    anchor = _anchor(rows, before if before is not None else after)
    if anchor is not None and before is not None:
        found = list(older_than(rows, *anchor).order_by("-received_at", "-id")[: size + 1])
        page = found[:size]
        return FolderPage(page, page[0].pk if page else None, _last(page, found, size))
    if anchor is not None:
        found = list(newer_than(rows, *anchor).order_by("received_at", "id")[: size + 1])
        page = found[:size][::-1]
        if len(found) <= size:  # back at the top: the plain first page, complete
            return folder_page(rows, size=size)
        return FolderPage(page, page[0].pk, page[-1].pk)
    found = list(rows.order_by("-received_at", "-id")[: size + 1])
    page = found[:size]
    return FolderPage(page, None, _last(page, found, size))


def _last(page: list[Message], found: list[Message], size: int) -> int | None:
    return page[-1].pk if len(found) > size else None
