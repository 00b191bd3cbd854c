"""The units of the hub's fact columns (bulk extracts, snapshots, batch matching).

A column holds exact integers where a fact is a number: money in fen (int64), quantities
in tenths (int64), dates in days since EPOCH (int64); booleans as bool, enumerations as
their string value. Every adapter's bulk extract answers in these units, and every reader
turns one cell back into the typed value fetch_facts() would give with `python_value`.
"""

from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from .catalogue import FactSpec, FactType

EPOCH = date(1970, 1, 1)


def python_value(spec: FactSpec, column: np.ndarray, row: int):
    """One typed value out of a column (Decimal, int, date, bool or str)."""
    raw = column[row]
    if spec.type is FactType.MONEY:
        return (Decimal(int(raw)) / 100).quantize(Decimal("0.01"))
    if spec.type is FactType.DECIMAL:
        return (Decimal(int(raw)) / 10).quantize(Decimal("0.1"))
    if spec.type is FactType.INTEGER:
        return int(raw)
    if spec.type is FactType.DATE:
        return EPOCH + timedelta(days=int(raw))
    if spec.type is FactType.BOOLEAN:
        return bool(raw)
    return str(raw)


# The days a Python date can hold (date.min to date.max), counted from EPOCH.
_FIRST_DAY, _LAST_DAY = (date.min - EPOCH).days, (date.max - EPOCH).days


def json_values(spec: FactSpec, column: np.ndarray) -> list:
    """A whole column as the JSON values a claim keeps (datahub.facttypes.to_json of each
    `python_value`): money and quantities as their exact decimal text ("1234.50", "-0.5"),
    dates as ISO text, numbers, booleans and text as themselves. Made a column at a time,
    without a Decimal or a date per value: a 5,000,000-person run's chunks carry about
    seven million of them (12 s one by one)."""
    if spec.type is FactType.MONEY:
        return [f"-{-fen // 100}.{-fen % 100:02d}" if fen < 0 else f"{fen // 100}.{fen % 100:02d}"
                for fen in column.astype(np.int64).tolist()]  # fmt: skip
    if spec.type is FactType.DECIMAL:
        return [f"-{-tenth // 10}.{-tenth % 10}" if tenth < 0 else f"{tenth // 10}.{tenth % 10}"
                for tenth in column.astype(np.int64).tolist()]  # fmt: skip
    if spec.type is FactType.INTEGER:
        return column.astype(np.int64).tolist()
    if spec.type is FactType.DATE:
        days = column.astype(np.int64)
        if len(days) and (days.min() < _FIRST_DAY or days.max() > _LAST_DAY):
            # Beyond what a date holds: one by one, failing as python_value does.
            return [python_value(spec, column, row).isoformat() for row in range(len(column))]
        return days.astype("datetime64[D]").astype(str).tolist()
    if spec.type is FactType.BOOLEAN:
        return column.astype(bool).tolist()
    return [str(value) for value in column.tolist()]
