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

from collections.abc import Callable, Collection, Iterable, Sequence
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
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: the fastest path into PostgreSQL, inside the same transaction.
            with cursor.copy(f"COPY {quote(meta.db_table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(sql, list(rows))


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
