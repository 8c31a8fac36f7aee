"""Webmail search: every word typed is the start of a word of the sender, the subject or
the start of the text (accents and case ignored), through the full-text index of
migration mail 0006: FTS5 on SQLite, the GIN-indexed `search_vector` on PostgreSQL.

Both databases first read at most `RARE` matching ids of the folder from the index. Fewer:
the page is those rows, fetched by id and sorted (a planner left to itself may instead walk
the folder's date index, a million rows when the few matches are old ones). More: the
folder's date index is walked newest first against the matches, and a page's worth comes
at once. On SQLite a prefix (`rendu*`) is expanded by FTS5 into every word that starts so,
which for a word found in most of a million messages costs several hundred milliseconds
(figures and the limit in docs/PERFORMANCE.md)."""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import BooleanField, F, QuerySet
from django.db.models.expressions import RawSQL

from caducee.directory.search import terms  # the directory's folding: one rule for both
from caducee.mail.models import Message

# When a folder has fewer matches than this, their ids are read from the index and
# the rows fetched by id and sorted; with more, the folder's date index is walked newest
# first against the set of matches.
RARE = 2_000
_FOLDER = re.compile(r"[a-z0-9]+")


def place(mailbox_id: int, space: str, folder: str) -> str:
    """The folder as the one word the SQLite index holds (migration mail 0006)."""
    if not (_FOLDER.fullmatch(space) and _FOLDER.fullmatch(folder)):
        raise ValueError(f"dossier inattendu : {space}/{folder}")
    return f"m{mailbox_id}s{space}d{folder}"


def _fts_query(where: str, words: list[str]) -> str:
    text = " AND ".join(f'"{w}"*' for w in words)
    return f'place : "{where}" AND {{sender subject body_text}} : ({text})'


def _sqlite_ids(expr: str, limit: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM mail_message_fts WHERE mail_message_fts MATCH %s LIMIT %s",
            [expr, limit],
        )
        return [row[0] for row in cursor.fetchall()]


def _by_id(ids: list[int], mailbox_id: int, space: str, folder: str) -> QuerySet[Message]:
    """These messages, if still in that folder, reached by id only: `mailbox_id + 0` is an
    expression no index serves, so no planner can prefer walking the folder's index."""
    return (
        Message.objects.filter(id__in=ids, space=space, folder=folder)
        .alias(in_mailbox=F("mailbox_id") + 0)
        .filter(in_mailbox=mailbox_id)
    )


def folder_messages(
    mailbox_id: int, space: str, folder: str, query: str = "", *, rare: int = RARE
) -> QuerySet[Message]:
    """The messages of one folder matching every word of `query` (no word: all of them)."""
    rows = Message.objects.filter(mailbox_id=mailbox_id, space=space, folder=folder)
    words = terms(query)
    if not words:
        return rows
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{w}:*" for w in words)
        condition = RawSQL(
            "mail_message.search_vector @@ to_tsquery('simple', %s)",
            [tsquery],
            output_field=BooleanField(),
        )
        ids = list(rows.filter(condition).order_by().values_list("id", flat=True)[:rare])
        # Few matches: fetched by id and sorted. Many: the planner walks the folder's date
        # index, checking each row, and finds a page's worth at once.
        if len(ids) < rare:
            return _by_id(ids, mailbox_id, space, folder)
        return rows.filter(condition)
    if connection.vendor == "sqlite":
        expr = _fts_query(place(mailbox_id, space, folder), words)
        ids = _sqlite_ids(expr, rare)
        if len(ids) < rare:
            return _by_id(ids, mailbox_id, space, folder)
        return rows.filter(
            id__in=RawSQL(
                "SELECT rowid FROM mail_message_fts WHERE mail_message_fts MATCH %s", [expr]
            )
        )
    raise NotImplementedError(connection.vendor)  # pragma: no cover
