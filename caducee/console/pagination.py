"""Keyset ("seek") pagination: no COUNT and no OFFSET, so page N costs what page 1 costs.

Lists are ordered by a unique, indexed key (the email of an account, the sequence number
of an audit event). "Suivant" asks for the rows after the last key shown, "Précédent" for
the rows before the first one; one extra row tells whether another page exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


@dataclass
class SeekPage(Generic[M]):
    items: list[M]
    next_cursor: str | None
    prev_cursor: str | None

    @property
    def has_other_pages(self) -> bool:
        return self.next_cursor is not None or self.prev_cursor is not None


def seek_page(
    queryset: QuerySet[M],
    key: str,
    *,
    after: str = "",
    before: str = "",
    size: int = 50,
    descending: bool = False,
    convert: Callable[[str], Any] = str,
) -> SeekPage[M]:
    forward_lookup, backward_lookup = ("lt", "gt") if descending else ("gt", "lt")
    forward_order = f"-{key}" if descending else key
    backward_order = key if descending else f"-{key}"
    try:
        after_value = convert(after) if after else None
        before_value = convert(before) if before else None
    except (TypeError, ValueError):
        after_value = before_value = None
    if before_value is not None:
        rows = list(
            queryset.filter(**{f"{key}__{backward_lookup}": before_value}).order_by(backward_order)[
                : size + 1
            ]
        )
        more_before = len(rows) > size
        items = list(reversed(rows[:size]))
        return SeekPage(
            items,
            next_cursor=str(getattr(items[-1], key)) if items else None,
            prev_cursor=str(getattr(items[0], key)) if items and more_before else None,
        )
    filtered = queryset
    if after_value is not None:
        filtered = queryset.filter(**{f"{key}__{forward_lookup}": after_value})
    rows = list(filtered.order_by(forward_order)[: size + 1])
    items = rows[:size]
    return SeekPage(
        items,
        next_cursor=str(getattr(items[-1], key)) if len(rows) > size else None,
        prev_cursor=str(getattr(items[0], key)) if items and after_value is not None else None,
    )
