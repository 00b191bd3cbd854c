"""The same rules, compiled to numpy over columns of facts for every enterprise.

Columns use the hub's exact units (money in fen, quantities in tenths, dates in days since
1970, all int64), so comparisons are exact integer comparisons. Each column comes with a
`known` mask. Results are per criterion and overall, three-valued as in `engine.evaluate`,
and amounts are integer fen computed with the same rounding at each product.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

import numpy as np

from datahub.columns import EPOCH
from datahub.facttypes import FactType

from .engine import ELIGIBLE, INELIGIBLE, UNKNOWN
from .rules.criteria import Leaf, Node
from .rules.formulas import Expr, result_type
from .rules.ruleset import ROUNDING, RuleSet

MICRO = 1_000_000  # plain numbers carry six decimal places


@dataclass
class Column:
    values: np.ndarray
    known: np.ndarray  # bool


@dataclass
class BatchOutcome:
    eligible: np.ndarray  # bool
    known: np.ndarray  # bool: decided (eligible or ineligible)
    amount_fen: np.ndarray  # int64, 0 where not eligible
    amount_known: np.ndarray  # bool
    criteria: dict[str, tuple[np.ndarray, np.ndarray]]  # id -> (result, known)

    def status(self) -> np.ndarray:
        status = np.full(len(self.eligible), UNKNOWN, dtype="<U10")
        status[self.known & self.eligible & self.amount_known] = ELIGIBLE
        status[self.known & ~self.eligible] = INELIGIBLE
        return status


def to_units(kind: FactType, value) -> object:
    """A typed value in column units."""
    if kind is FactType.MONEY:
        return int(Decimal(value) * 100)
    if kind is FactType.DECIMAL:
        return int(Decimal(value) * 10)
    if kind is FactType.DATE:
        return (value - EPOCH).days
    return value


def evaluate_batch(rules: RuleSet, columns: dict[str, Column], as_of: date,
                   cap: Decimal | None = None) -> BatchOutcome:  # fmt: skip
    criteria: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    verdict, decided = _node(rules.criteria, columns, as_of, criteria)
    eligible = verdict & decided
    # Amounts only where someone qualifies: usually a fraction of the register.
    rows = np.flatnonzero(eligible)
    subset = {name: Column(column.values[rows], column.known[rows])
              for name, column in columns.items()}  # fmt: skip
    amount_rows, known_rows = _amount(rules, subset, as_of, cap, rows)
    amount = np.zeros(len(eligible), dtype=np.int64)
    amount[rows] = amount_rows
    amount_known = np.ones(len(eligible), dtype=bool)
    amount_known[rows] = known_rows
    return BatchOutcome(verdict, decided, amount, amount_known, criteria)


def _node(node: Node, columns, as_of, criteria) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(node, Leaf):
        result = _leaf(node, columns[node.fact.name], as_of)
        criteria[node.id] = result
        return result
    results = [_node(child, columns, as_of, criteria) for child in node.children]
    if node.kind == "not":
        value, known = results[0]
        return ~value, known
    if node.kind == "all":
        any_false = np.logical_or.reduce([k & ~v for v, k in results])
        all_true = np.logical_and.reduce([k & v for v, k in results])
        return all_true, any_false | all_true
    any_true = np.logical_or.reduce([k & v for v, k in results])
    all_false = np.logical_and.reduce([k & ~v for v, k in results])
    return any_true, any_true | all_false


def _leaf(leaf: Leaf, column: Column, as_of: date) -> tuple[np.ndarray, np.ndarray]:
    values, known = column.values, column.known
    if leaf.op == "known":
        return known.copy(), np.ones_like(known)
    kind = leaf.fact.type
    operands = [to_units(kind, operand.value_at(as_of)) for operand in leaf.operands]
    op = leaf.op
    if op == "eq":
        result = values == operands[0]
    elif op == "ne":
        result = values != operands[0]
    elif op == "lt":
        result = values < operands[0]
    elif op == "le":
        result = values <= operands[0]
    elif op == "gt":
        result = values > operands[0]
    elif op == "ge":
        result = values >= operands[0]
    elif op == "in":
        result = np.isin(values, operands)
    elif op == "not_in":
        result = ~np.isin(values, operands)
    elif op == "between":
        low_ok = values >= operands[0] if leaf.inclusive[0] else values > operands[0]
        high_ok = values <= operands[1] if leaf.inclusive[1] else values < operands[1]
        result = low_ok & high_ok
    elif op == "is_true":
        result = values.astype(bool)
    elif op == "is_false":
        result = ~values.astype(bool)
    else:  # parse_criteria admits nothing else
        raise ValueError(op)
    return np.asarray(result, dtype=bool) & known, known


# --- Amounts --------------------------------------------------------------------------------


def _amount(rules: RuleSet, columns, as_of, cap, rows: np.ndarray):
    rounding = rules.rounding
    fen, known = _expr(rules.benefit, columns, as_of, rounding, len(rows))
    fen = np.maximum(fen, 0)
    if cap is not None:
        fen = np.minimum(fen, int(cap * 100))
    return fen.astype(np.int64), known


def _expr(expr: Expr, columns, as_of, rounding, n) -> tuple[np.ndarray, np.ndarray]:
    """Money in fen, plain numbers in millionths; returns (values, known)."""
    everyone = np.ones(n, dtype=bool)
    kind = expr.kind
    if kind == "amount":
        return np.full(n, int(expr.value * 100), dtype=np.int64), everyone
    if kind == "number":
        return np.full(n, int(expr.value * MICRO), dtype=np.int64), everyone
    if kind == "param":
        value = Decimal(expr.parameter.at(as_of))
        scale = 100 if expr.parameter.type is FactType.MONEY else MICRO
        return np.full(n, int(value * scale), dtype=np.int64), everyone
    if kind == "fact":
        column = columns[expr.fact.name]
        spec_kind = expr.fact.type
        if spec_kind is FactType.MONEY:
            return column.values.astype(np.int64), column.known
        if spec_kind is FactType.DECIMAL:
            return _times(column.values.astype(np.int64), MICRO // 10), column.known
        return _times(column.values.astype(np.int64), MICRO), column.known
    if kind == "choose":
        column = columns[expr.fact.name]
        result, known = _expr(expr.otherwise, columns, as_of, rounding, n)
        known = known.copy()
        for value, amount in expr.cases:
            inside = column.values == value
            case_values, case_known = _expr(amount, columns, as_of, rounding, n)
            result = np.where(inside, case_values, result)
            known = np.where(inside, case_known, known)
        return result, known & column.known
    if kind == "tiers":
        column = columns[expr.fact.name]
        values = column.values
        scale = {FactType.MONEY: 100, FactType.DECIMAL: 10}.get(expr.fact.type, 1)
        result = np.zeros(n, dtype=np.int64)
        known = column.known.copy()
        for low, high, amount in expr.tiers:
            low_units = int(low * scale)
            inside = values >= low_units
            if high is not None:
                inside &= values < int(high * scale)
            band_values, band_known = _expr(amount, columns, as_of, rounding, n)
            result = np.where(inside, band_values, result)
            known &= ~inside | band_known
        return result, known
    parts = [_expr(child, columns, as_of, rounding, n) for child in expr.children]
    known = np.logical_and.reduce([k for _, k in parts])
    values = [v for v, _ in parts]
    if kind == "add":
        return sum(values[1:], values[0]), known
    if kind == "sub":
        return values[0] - values[1], known
    if kind == "min":
        return np.minimum.reduce(values), known
    if kind == "max":
        return np.maximum.reduce(values), known
    # mul: a money factor stays in fen; each plain-number factor carries MICRO.
    product = values[0]
    for value in values[1:]:
        product = _times(product, value)
    plain_factors = sum(1 for child in expr.children if result_type(child) is not FactType.MONEY)
    is_money = plain_factors < len(expr.children)
    # fen * micro^k -> fen (divide by micro^k); micro^k -> micro (divide by micro^(k-1))
    divisor = MICRO ** (plain_factors if is_money else plain_factors - 1)
    return _divide(product, divisor, rounding), known


_INT64_SAFE = 2**62


def _times(a, b):
    """Exact product: int64 while it cannot overflow, Python integers otherwise."""
    a_max = int(np.abs(a).max(initial=0)) if isinstance(a, np.ndarray) else abs(int(a))
    b_max = int(np.abs(b).max(initial=0)) if isinstance(b, np.ndarray) else abs(int(b))
    if a_max * b_max < _INT64_SAFE:
        return (
            np.asarray(a, dtype=np.int64) * np.asarray(b, dtype=np.int64)
            if (
                isinstance(a, np.ndarray)
                and a.dtype != object
                and (not isinstance(b, np.ndarray) or b.dtype != object)
            )
            else np.asarray(a, dtype=object) * np.asarray(b, dtype=object)
        )
    return np.asarray(a, dtype=object) * np.asarray(b, dtype=object)


def _divide(values: np.ndarray, divisor: int, rounding: str) -> np.ndarray:
    """Exact integer division with the Decimal rounding rule (half up: away from zero),
    back to int64 (a result in fen always fits)."""
    if divisor == 1:
        return values if values.dtype != object else values.astype(np.int64)
    if values.dtype != object and int(np.abs(values).max(initial=0)) * 2 + divisor >= _INT64_SAFE:
        values = values.astype(object)
    signs = np.where(values < 0, -1, 1)
    magnitude = np.abs(values)
    if ROUNDING[rounding] == ROUND_DOWN:
        result = signs * (magnitude // divisor)
    else:
        result = signs * ((magnitude * 2 + divisor) // (2 * divisor))
    return np.asarray(result).astype(np.int64)
