"""Writing rows fast: COPY on PostgreSQL, executemany elsewhere, ids chosen here; and the
values they take (timestamps, money)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from django.db import connection, models

from qinqing.bulk import copy_rows

CHUNK = 50_000


def _columns(model: type[models.Model], names: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


def next_id(model: type[models.Model]) -> int:
    top = model.objects.aggregate(top=models.Max("pk"))["top"]
    return (top or 0) + 1


def _default(field: models.Field) -> Any:
    value = field.get_default()
    if value is None and not field.null:
        raise ValueError(f"{field.model.__name__}.{field.name} needs a value")
    if isinstance(field, models.JSONField) and value is not None:
        return json.dumps(value)
    return value


def write_rows(model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert `rows` (tuples in the order of `names`, the primary key included when given)
    into `model`'s table. JSON values are passed already dumped to text; datetimes aware.
    Columns not named get their field's default (the database has none of its own).
    Returns the number of rows written."""
    given = set(_columns(model, names))
    # An omitted primary key comes from the table's sequence.
    missing = [
        f for f in model._meta.concrete_fields if f.column not in given and not f.primary_key
    ]
    defaults = tuple(_default(f) for f in missing)
    if defaults:
        rows = (tuple(row) + defaults for row in rows)
    names = [*names, *(f.name for f in missing)]
    table = model._meta.db_table
    written = copy_rows(table, _columns(model, names), rows)
    if "id" in names and connection.vendor == "postgresql" and written:
        # Ids chosen here: the table's sequence moves past them for the next insert.
        maximum = f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), ({maximum}))", [table])
    return written


def timestamps(seconds: np.ndarray) -> list[str] | list[datetime]:
    """Epoch seconds (UTC) as values a COPY or an INSERT takes, vectorised."""
    micro = np.round(np.asarray(seconds, dtype=np.float64) * 1e6).astype(np.int64)
    stamps = np.datetime_as_string(micro.astype("datetime64[us]"), unit="us")
    if connection.vendor == "postgresql":
        return [f"{text}+00" for text in stamps.tolist()]
    return [datetime.fromisoformat(text).replace(tzinfo=UTC) for text in stamps.tolist()]


def from_epoch(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def money_text(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"
