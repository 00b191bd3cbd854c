"""Columns read from PostgreSQL into numpy without a Python object per value: the server
packs each row with the types' binary send functions and aggregates them into one bytea,
fetched in binary and read in place by numpy. A COPY out arrives a message a row, and a
million messages cost seconds of Python; the same bytea fetched as text arrives as hex
twice its size to decode. Used by the credit grades' recomputation and the data hub's
extracts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import psycopg
from django.db import connection

# Column kinds: each row's value packed by the server's binary send function, read back by
# numpy with the matching big-endian type ("char" is one byte; a timestamptz, whole
# microseconds since 2000-01-01, compared back in SQL the same way).
KINDS = {"int2": ("int2send", ">i2"), "int4": ("int4send", ">i4"), "int8": ("int8send", ">i8"),
         "char": ("charsend", "u1"), "timestamptz": ("timestamptz_send", ">i8")}  # fmt: skip


def binary_row(sql: str, params: Sequence[object] = ()) -> tuple | None:
    """The first row of `sql` (PostgreSQL), fetched in binary: on a cursor of psycopg's own
    on Django's connection, so in the caller's transaction (Django's cursor binds on the
    client, and such a cursor cannot ask for binary results)."""
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, list(params), binary=True)
        return cursor.fetchone()


def read_columns(query: str, params: Sequence[object],
                 columns: Sequence[tuple[str, str]]) -> np.ndarray:  # fmt: skip
    """The rows of `query` (PostgreSQL; every column NOT NULL and cast to a kind of KINDS,
    as named in `columns`: (name, kind)) as a numpy structured array, in one round trip."""
    dtype = np.dtype([(name, KINDS[kind][1]) for name, kind in columns])
    packed = " || ".join(f"{KINDS[kind][0]}(q.{name})" for name, kind in columns)
    names = ", ".join(name for name, _kind in columns)
    sql = (f"SELECT string_agg({packed}, ''::bytea) FROM (SELECT * FROM ({query}) "  # noqa: S608
           f"AS inner_q ({names})) q")  # fmt: skip
    row = binary_row(sql, params)
    if row is None or row[0] is None:
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(bytes(row[0]), dtype=dtype)
