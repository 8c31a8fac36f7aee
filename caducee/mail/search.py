"""Webmail search through the full-text index of migration mail 0006 (FTS5 on SQLite, the
GIN-indexed `search_vector` on PostgreSQL): every word typed must be in the sender, the
subject or the text, accents and case ignored. A word of two or three characters is the
start of a word (`dr` finds « Dr », « Drouet »); a longer word, or a single character, is a
whole word, bare or with an ending `s`, `x`, `e` or `es` (`resultat` finds « Résultats »,
`rendu` « rendue », `radio` not « radiologie »).

Why whole words (issue #19): FTS5 answers `rendu*` by merging the list of every word of the
index that starts so, the whole platform's, before the first row comes out (half a second
for a word in a million messages), while a whole word, or a prefix of a length the index
keeps (2 and 3), is read in rowid order and stops as soon as the page has its rows. Prefix
indexes on more lengths would cost every message received 40 to 150 % more index time.

Both databases first read at most `RARE` matching ids of the folder. Fewer: the page is
those rows, fetched by id and sorted. More: PostgreSQL walks the folder's date index
checking each row's vector; SQLite walks it by windows (`IndexWalk`, caducee/mail/listing.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, F, QuerySet
from django.db.models.expressions import RawSQL

from caducee.directory.search import terms  # the directory's folding: one rule for both
from caducee.mail.models import Message

# When a folder has fewer matches than this, their ids are read from the index and
# the rows fetched by id and sorted; with more, the folder's date index is walked.
RARE = 2_000
PREFIX = (2, 3)  # the FTS5 prefix indexes of migration mail 0006: these lengths are prefixes
ENDINGS = ("", "s", "x", "e", "es")
# `IndexWalk`: a window's id range holding more matches than this × the window's size means
# the folder's ids do not follow its dates there; the page then takes the exact `IN`.
SPREAD = 4
_FOLDER = re.compile(r"[a-z0-9]+")
_FTS = "SELECT rowid FROM mail_message_fts WHERE mail_message_fts MATCH %s"


def place(mailbox_id: int, space: str, folder: str) -> str:
    """The folder as the one word the SQLite index holds (migration mail 0006)."""
    if not (_FOLDER.fullmatch(space) and _FOLDER.fullmatch(folder)):
        raise ValueError(f"dossier inattendu : {space}/{folder}")
    return f"m{mailbox_id}s{space}d{folder}"


def forms(word: str) -> list[str]:
    """The whole words a typed word stands for (none for a prefix: `is_prefix`)."""
    return [word + ending for ending in ENDINGS] if len(word) > 1 else [word]


def is_prefix(word: str) -> bool:
    return len(word) in PREFIX


def fts_query(where: str, words: list[str]) -> str:
    """The FTS5 expression: the folder's word, and every word typed (constant syntax around
    words of [a-z0-9] only, from `terms`)."""
    parts = [
        f'"{w}"*' if is_prefix(w) else _any([f'"{f}"' for f in forms(w)], " OR ") for w in words
    ]
    return f'place : "{where}" AND {{sender subject body_text}} : ({" AND ".join(parts)})'


def ts_query(words: list[str]) -> str:
    """The same rule as a PostgreSQL tsquery."""
    return " & ".join(f"{w}:*" if is_prefix(w) else _any(forms(w), " | ") for w in words)


def _any(alternatives: list[str], sep: str) -> str:
    return alternatives[0] if len(alternatives) == 1 else "(" + sep.join(alternatives) + ")"


def _by_id(ids: list[int], mailbox_id: int, space: str, folder: str) -> QuerySet[Message]:
    """These messages, if still in that folder, reached by id only: `mailbox_id + 0` is an
    expression no index serves, so no planner can prefer walking the folder's index."""
    return (
        Message.objects.filter(id__in=ids, space=space, folder=folder)
        .alias(in_mailbox=F("mailbox_id") + 0)
        .filter(in_mailbox=mailbox_id)
    )


@dataclass(frozen=True)
class IndexWalk:
    """SQLite, a folder with many matches. The page walks the folder's date index a window
    of ids at a time and asks FTS5 only for the matches whose rowid lies between the
    window's smallest and largest id: messages arrive in id order, so that range holds
    about the window's own rows, and FTS5 reads no more than that (an `id IN (match)`
    would first gather every match of the folder, a million of them: 0.3 s)."""

    expr: str
    mailbox_id: int
    space: str
    folder: str

    def matching(self, window: list[int]) -> set[int] | None:
        """The ids of `window` that match; None when the window's id range holds too many
        matches to read (the folder's ids do not follow its dates there)."""
        if not window:
            return set()
        limit = SPREAD * len(window)
        with connection.cursor() as cursor:
            cursor.execute(
                _FTS + " AND rowid BETWEEN %s AND %s LIMIT %s",
                [self.expr, min(window), max(window), limit + 1],
            )
            found = {row[0] for row in cursor.fetchall()}
        return None if len(found) > limit else found & set(window)

    def by_id(self, ids: list[int]) -> QuerySet[Message]:
        return _by_id(ids, self.mailbox_id, self.space, self.folder)

    def every(self, rows: QuerySet[Message]) -> QuerySet[Message]:
        """`rows` restricted to the matches by one `IN`: exact whatever the ids' order, and
        as slow as the folder has matches (the walk's fallback)."""
        return rows.filter(id__in=RawSQL(_FTS, [self.expr]))  # noqa: S611 (constant SQL)


@dataclass(frozen=True)
class FolderSearch:
    """The messages of a folder matching a query: `rows`, or, with `walk`, the whole folder
    of which `walk` tells the matches (caducee/mail/listing.py `folder_page`)."""

    rows: QuerySet[Message]
    walk: IndexWalk | None = None

    def matches(self) -> QuerySet[Message]:
        """Every matching message, as one query set."""
        return self.walk.every(self.rows) if self.walk else self.rows


def _sqlite_ids(expr: str, limit: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(_FTS + " LIMIT %s", [expr, limit])
        return [row[0] for row in cursor.fetchall()]


def search_folder(
    mailbox_id: int, space: str, folder: str, query: str = "", *, rare: int | None = None
) -> FolderSearch:
    """The messages of one folder matching every word of `query` (no word: all of them);
    `rare`: the `RARE` threshold."""
    rare = RARE if rare is None else rare
    rows = Message.objects.filter(mailbox_id=mailbox_id, space=space, folder=folder)
    words = terms(query)
    if not words:
        return FolderSearch(rows)
    if connection.vendor == "postgresql":
        condition = RawSQL(
            "mail_message.search_vector @@ to_tsquery('simple', %s)",
            [ts_query(words)],
            output_field=BooleanField(),
        )
        ids = list(rows.filter(condition).order_by().values_list("id", flat=True)[:rare])
        # Few matches: fetched by id and sorted. Many: the planner walks the folder's date
        # index, checking each row, and finds a page's worth at once.
        if len(ids) < rare:
            return FolderSearch(_by_id(ids, mailbox_id, space, folder))
        return FolderSearch(rows.filter(condition))
    if connection.vendor == "sqlite":
        expr = fts_query(place(mailbox_id, space, folder), words)
        ids = _sqlite_ids(expr, rare)
        if len(ids) < rare:
            return FolderSearch(_by_id(ids, mailbox_id, space, folder))
        return FolderSearch(rows, IndexWalk(expr, mailbox_id, space, folder))
    raise NotImplementedError(connection.vendor)  # pragma: no cover


def folder_messages(
    mailbox_id: int, space: str, folder: str, query: str = "", *, rare: int | None = None
) -> QuerySet[Message]:
    """Every message of one folder matching `query`, as one query set (`search_folder`)."""
    return search_folder(mailbox_id, space, folder, query, rare=rare).matches()
