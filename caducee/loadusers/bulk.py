"""Multi-row INSERTs without a model instance per row, for the import's writing pass.

Django's bulk_create builds a model instance and prepares every value through the field
machinery: for 100,000 accounts of 40 columns that is most of the import time. Here the
values are already clean (they come from `clean_account`), so only dates, times and JSON
need the backend's adaptation; everything else is passed as is to `executemany` (SQLite)
or to `COPY … FROM STDIN` (PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """INSERT the rows (values in `columns` order, attribute names such as `user_id`)."""
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    fields = [by_attname[name] for name in columns]
    adapters = [_adapter(f) for f in fields]  # type: ignore[arg-type]
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(f.column)) for f in fields)  # type: ignore[union-attr]
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
    if any(adapters):
        rows = [
            [
                a(v) if a is not None and v is not None else v
                for a, v in zip(adapters, row, strict=True)
            ]
            for row in rows
        ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: the fastest path into PostgreSQL, inside the same transaction.
            with cursor.copy(f"COPY {quote(meta.db_table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(sql, list(rows))


def _adapt(adapter: Adapt | None, value: Any, index: int, cache: dict[tuple[int, Any], Any]) -> Any:
    if adapter is None or value is None:
        return value
    if isinstance(value, dict | list):
        return adapter(value)
    key = (index, value)
    if key not in cache:
        cache[key] = adapter(value)
    return cache[key]


def ids_by(model: type[models.Model], key: str, values: Sequence[str]) -> dict[str, int]:
    """Primary keys of the rows just inserted, by a unique column (one query)."""
    return dict(model._default_manager.filter(**{f"{key}__in": values}).values_list(key, "pk"))
