"""The extract tables in SQL: their column types, their layout, writing rows into them
(COPY on PostgreSQL through qinqing.bulk, inserts on SQLite) and reading values back as
numpy columns in the hub's units."""

from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection

from qinqing.bulk import copy_text

from ..catalogue import FactSpec, FactType
from ..columns import EPOCH
from .subjects import ExtractSubject, as_date, column_name

_SQL_TYPES = {
    FactType.MONEY: "numeric(16,2)",
    FactType.DECIMAL: "numeric(16,1)",
    FactType.INTEGER: "bigint",
    FactType.DATE: "date",
    FactType.BOOLEAN: "boolean",
    FactType.ENUM: "varchar(32)",
    FactType.TEXT: "varchar(64)",
}
_EXACT = {FactType.MONEY, FactType.DECIMAL}


def table_layout(cursor, table: str) -> list[str] | None:
    """The table's columns in order, or None when it does not exist."""
    if table not in connection.introspection.table_names(cursor):
        return None
    return [column.name for column in connection.introspection.get_table_description(cursor, table)]


def column_definitions(specs: list[FactSpec]) -> str:
    """The fact columns' SQL definitions, for CREATE TABLE."""
    quote = connection.ops.quote_name
    # SQLite would turn numeric text into floats; there, exact amounts stay text.
    exact_as_text = connection.vendor == "sqlite"
    return ", ".join(
        f"{quote(column_name(spec.name))} "
        + ("text" if exact_as_text and spec.type in _EXACT else _SQL_TYPES[spec.type])
        for spec in specs
    )


def fill_table(cursor, key: str, table: str, specs: list[FactSpec],
               text_columns: list[np.ndarray]) -> None:  # fmt: skip
    """The rows (key and facts as text, as_text) into `table`: COPY on PostgreSQL."""
    if connection.vendor == "postgresql":
        _copy_in(key, table, specs, text_columns)
    else:
        _insert_rows(cursor, key, table, specs, text_columns)


def index_columns(cursor, subject: ExtractSubject, table: str, specs: list[FactSpec]) -> None:
    """An index on the column of each of the subject's `indexed` facts the table carries,
    made when missing: the persons' employer, by which persons_insured_by finds whom an
    enterprise insures without reading the whole extract."""
    quote = connection.ops.quote_name
    carried = {spec.name for spec in specs}
    for fact in subject.indexed:
        if fact in carried:
            column = column_name(fact)
            # Table and column names come from the catalogue, never from a request.
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {quote(f'{table}_{column}')} "
                           f"ON {quote(table)} ({quote(column)})")  # fmt: skip


def as_text(spec: FactSpec, column: np.ndarray) -> np.ndarray:
    """Exact text for COPY: money from fen, quantities from tenths, dates from days."""
    if not len(column):
        return np.array([], dtype=str)
    if spec.type is FactType.MONEY:
        return np.char.add(np.char.add((column // 100).astype(str), "."),
                           np.char.zfill((column % 100).astype(str), 2))  # fmt: skip
    if spec.type is FactType.DECIMAL:
        return np.char.add(np.char.add((column // 10).astype(str), "."), (column % 10).astype(str))
    if spec.type is FactType.DATE:
        return column.astype("datetime64[D]").astype(str)
    if spec.type is FactType.BOOLEAN:
        return np.where(column, "t", "f")
    return column.astype(str)


def _copy_in(key: str, table: str, specs: list[FactSpec],
             text_columns: list[np.ndarray]) -> None:  # fmt: skip
    """Join the text columns into COPY lines, then one COPY (qinqing.bulk). Joined row by
    row in Python: numpy's char.add copies every growing fixed-width string once per
    column, which cost seconds per hundred thousand rows."""
    if not len(text_columns[0]):
        return  # nothing to write (COPY would read one empty line as a row)
    lists = [column.tolist() for column in text_columns]
    for index, spec in enumerate(specs, start=1):
        if spec.type in (FactType.TEXT, FactType.ENUM):
            lists[index] = [_copy_escaped(value) for value in lists[index]]
    rows = zip(*lists, strict=True)
    names = [key, *(column_name(spec.name) for spec in specs)]
    copy_text(table, names, "\n".join(map("\t".join, rows)) + "\n")


def _copy_escaped(value: str) -> str:
    """A department's text as COPY's text format reads it (a backslash, tab or line break
    inside it escaped)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return (value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                .replace("\r", "\\r"))  # fmt: skip
    return value


def _insert_rows(cursor, key: str, table: str, specs: list[FactSpec],
                 text_columns: list[np.ndarray]) -> None:  # fmt: skip
    names = ", ".join([key, *(column_name(spec.name) for spec in specs)])
    marks = ", ".join(["%s"] * (len(specs) + 1))
    rows = list(zip(*(column.tolist() for column in text_columns), strict=True))
    sqlite_rows = [
        (int(row[0]), *(_sqlite_value(spec, value) for spec, value in zip(specs, row[1:],
                                                                          strict=True)))
        for row in rows
    ]  # fmt: skip
    # Table and column names come from the catalogue, never from a request.
    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", sqlite_rows)  # noqa: S608


def _sqlite_value(spec: FactSpec, text: str) -> Any:
    if spec.type is FactType.BOOLEAN:
        return text == "t"
    if spec.type is FactType.INTEGER:
        return int(text)
    return text


def from_sql(spec: FactSpec, values: list) -> np.ndarray:
    """Values as the database gives them, as a column in the hub's units."""
    # PostgreSQL gives Decimal, SQLite the exact text it was given: never a float.
    if spec.type is FactType.MONEY:
        return np.array([int(Decimal(str(v)) * 100) for v in values], dtype=np.int64)
    if spec.type is FactType.DECIMAL:
        return np.array([int(Decimal(str(v)) * 10) for v in values], dtype=np.int64)
    if spec.type is FactType.DATE:
        return np.array([(as_date(v) - EPOCH).days for v in values], dtype=np.int64)
    if spec.type is FactType.BOOLEAN:
        return np.array([bool(v) for v in values], dtype=bool)
    if spec.type is FactType.INTEGER:
        return np.array(values, dtype=np.int64)
    if spec.type is FactType.TEXT:
        return np.array(["" if v is None else v for v in values], dtype=str)
    return np.array(values, dtype="<U32")
