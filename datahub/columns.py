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
