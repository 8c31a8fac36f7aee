"""Multi-row INSERTs without a model instance per row: the loaduser import's writing pass
and the SMTP service's group commit.

Django's bulk_create prepares every value through the field machinery: for 100,000
accounts of 40 columns that is most of the import time, and a noticeable part of the CPU
spent on each received message. Here the values are already clean (they come from
`clean_account`, or from the message's parsed headers), so only dates, times and JSON need
the backend's adaptation; everything else is passed as is to `executemany` (SQLite) or to
`COPY … FROM STDIN` (PostgreSQL).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from django.db import connection, models

Adapt = Callable[[Any], Any]


def _adapter(field: models.Field[Any, Any]) -> Adapt | None:
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value  # type: ignore[no-any-return]
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value  # type: ignore[no-any-return]
    if isinstance(field, models.JSONField):
        return lambda value: ops.adapt_json_value(value, field.encoder)
    return None


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    adapted: Collection[str] = (),
) -> None:
    """INSERT the rows (values in `columns` order, attribute names such as `user_id`).

    `adapted`: columns whose values the caller has already put in the backend's form
    (`connection.ops.adapt_*`; JSON as its text): passed as they are. The audit log
    encodes each detail once, for its hash too, and adapts its one timestamp once.
    """
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    fields = [by_attname[name] for name in columns]
    adapters = [
        None if name in adapted else _adapter(f)  # type: ignore[arg-type]
        for name, f in zip(columns, fields, strict=True)
    ]
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(f.column)) for f in fields)  # type: ignore[union-attr]
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
    if any(adapters):
        dates = (models.DateTimeField, models.DateField)
        to_adapt = [
            (i, a, isinstance(f, dates))  # dates are immutable: an adaptation may be reused
            for i, (a, f) in enumerate(zip(adapters, fields, strict=True))
            if a is not None
        ]
        rows = _adapted(rows, to_adapt)
    if connection.vendor == "postgresql":
        # COPY: the fastest path into PostgreSQL, inside the same transaction.
        copy_sql = f"COPY {quote(meta.db_table)} ({names}) FROM STDIN"
        background = _active.background
        if background is not None:
            background.submit(copy_sql, rows)
            return
        with connection.cursor() as cursor:
            _copy(cursor, copy_sql, rows)
        return
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(rows))


def _copy(cursor: Any, sql: str, rows: Iterable[Sequence[Any]]) -> None:
    with cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


class _Background:
    """The COPYs of `copies_in_background`, one after the other on a thread, on the same
    PostgreSQL connection (psycopg's connections may be shared by threads: one command at
    a time, under the connection's lock). Any other query waits for them first (`flush`,
    an execute wrapper), so the statements reach the server in the order they were asked."""

    def __init__(self) -> None:
        self.raw = connection.connection  # psycopg's connection, opened by the caller
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="copy")
        self.pending: list[Future[None]] = []
        self.failed = threading.Event()

    def submit(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = rows if isinstance(rows, list) else list(rows)  # nothing lazy on the thread
        self.pending.append(self.pool.submit(self._run, sql, rows))

    def _run(self, sql: str, rows: list[Sequence[Any]]) -> None:
        if self.failed.is_set():  # the transaction is aborted: the first error is raised
            return
        try:
            with self.raw.cursor() as cursor:
                _copy(cursor, sql, rows)
        except BaseException:
            self.failed.set()
            raise

    def flush(self) -> None:
        """Wait for every COPY asked so far; raise the first one's error, if any."""
        pending, self.pending = self.pending, []
        error: BaseException | None = None
        for future in pending:
            exc = future.exception()
            if exc is not None and error is None:
                error = exc
        if error is not None:
            raise error

    def before_query(self, execute: Any, sql: Any, params: Any, many: Any, context: Any) -> Any:
        self.flush()
        return execute(sql, params, many, context)


class _Active(threading.local):
    """The `_Background` of this thread's connection (Django's connections are per thread)."""

    background: _Background | None = None


_active = _Active()


@contextmanager
def copies_in_background() -> Iterator[None]:
    """On PostgreSQL, `insert_rows` inside this block sends its COPY from a thread and
    returns at once: the server inserts the rows (the indexes' work: most of an import's
    accounts insert) while this thread prepares the next ones (issue #19). Every other
    query of the connection waits for the COPYs asked before it, so the order and the
    results are those of `insert_rows` without the block; an error of a COPY is raised by
    the next query or at the end of the block. The rows given must not change after the
    call. Inside a transaction only (the block ends before the commit: `with
    transaction.atomic(), copies_in_background():`). Elsewhere (SQLite): no effect."""
    if connection.vendor != "postgresql" or _active.background is not None:
        yield
        return
    connection.ensure_connection()
    background = _Background()
    _active.background = background
    try:
        with connection.execute_wrapper(background.before_query):
            yield
            _active.background = None
            background.flush()
    except BaseException:
        for future in background.pending:  # the connection is free again before the rollback
            future.exception()
        raise
    finally:
        _active.background = None
        background.pool.shutdown(wait=True)


def _adapted(
    rows: Iterable[Sequence[Any]], columns: list[tuple[int, Adapt, bool]]
) -> list[list[Any]]:
    """The rows with the values of the adapted columns adapted; the other columns are
    copied as they are. In a date column, a value identical to the previous one (the one
    timestamp of a whole batch) reuses its adaptation (issue #19: the loaduser import)."""
    last: list[Any] = [None] * len(columns)
    done: list[Any] = [None] * len(columns)
    out: list[list[Any]] = []
    for row in rows:
        values = list(row)
        for n, (i, adapt, reuse) in enumerate(columns):
            value = values[i]
            if value is None:
                continue
            if not reuse:
                values[i] = adapt(value)
                continue
            if value is not last[n]:  # `is`: `last` holds the value, so no id is reused
                last[n], done[n] = value, adapt(value)
            values[i] = done[n]
        out.append(values)
    return out


def ids_by(model: type[models.Model], key: str, values: Sequence[str]) -> dict[str, int]:
    """Primary keys of the rows just inserted, by a unique column (one query)."""
    return dict(model._default_manager.filter(**{f"{key}__in": values}).values_list(key, "pk"))


def insert_keyed(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]], key: str
) -> dict[str, int]:
    """`insert_rows`, returning the new primary keys by a unique column (`key`, one of
    `columns`).

    The keys are drawn first and inserted with the rows, so that no query reads them back
    (`_new_keys`: PostgreSQL's sequence, SQLite's next AUTOINCREMENT values). Another
    backend: one query after the insert (`ids_by`).
    """
    pks = _new_keys(model, len(rows))
    if pks is None:
        insert_rows(model, columns, rows)
        return ids_by(model, key, [str(row[columns.index(key)]) for row in rows])
    meta = model._meta
    insert_rows(
        model,
        [str(meta.pk.attname), *columns],  # type: ignore[union-attr]
        [(pk, *row) for pk, row in zip(pks, rows, strict=True)],
    )
    index = columns.index(key)
    return {str(row[index]): pk for pk, row in zip(pks, rows, strict=True)}


def _new_keys(model: type[models.Model], count: int) -> list[int] | None:
    """`count` primary keys for new rows of this table, inside the caller's transaction.

    - PostgreSQL: drawn from the table's sequence (never handed out twice);
    - SQLite: the values AUTOINCREMENT would give, after both the largest key and the
      largest ever used (`sqlite_sequence`, so that a deleted row's key is never reused);
      SQLite serialises writers (every transaction starts with BEGIN IMMEDIATE), so no
      other transaction takes them meanwhile;
    - another backend: None (the caller reads them back).
    """
    meta = model._meta
    table = str(meta.db_table)
    pk_column = str(meta.pk.column)  # type: ignore[union-attr]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [quote(table), pk_column, count],
            )
            return [int(row[0]) for row in cursor.fetchall()]
        if connection.vendor != "sqlite":
            return None
        cursor.execute(
            f"SELECT MAX(COALESCE((SELECT MAX({quote(pk_column)}) FROM {quote(table)}), 0), "  # noqa: S608
            "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [table],
        )
        row = cursor.fetchone()
    last = int(row[0]) if row is not None else 0
    return list(range(last + 1, last + 1 + count))
