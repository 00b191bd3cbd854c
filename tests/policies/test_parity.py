"""Batch and single evaluation agree: on thousands of generated enterprises, with unknown
facts, and with every threshold at -1, equal and +1."""

import zlib
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from datahub.catalogue import CATALOGUE, FactType
from datahub.columns import EPOCH
from policies.batch import Column, evaluate_batch, to_units
from policies.engine import evaluate
from policies.rules.criteria import leaves
from policies.rules.ruleset import parse_rules

from .rulesets import BENEFIT, CRITERIA, PARAMETERS

N = 6000


def boundary_values(rules, as_of):
    """For each fact, every threshold the rules compare it with, and ±1 unit around it."""
    points: dict[str, list] = {}
    for leaf in leaves(rules.criteria):
        for operand in leaf.operands:
            units = to_units(leaf.fact.type, operand.value_at(as_of))
            if isinstance(units, int) and not isinstance(units, bool):
                points.setdefault(leaf.fact.name, []).extend([units - 1, units, units + 1])
    for low, high, _amount in rules.benefit.children[0].children[1].tiers:
        for edge in (low, high):
            if edge is not None:
                points.setdefault("hrss.insured_employees", []).extend(
                    [int(edge) - 1, int(edge), int(edge) + 1])  # fmt: skip
    return points


def generate_columns(rules, as_of, seed):
    rng = np.random.default_rng(seed)
    points = boundary_values(rules, as_of)
    columns = {}
    for name in rules.fact_names:
        spec = CATALOGUE[name]
        if spec.type is FactType.ENUM:
            values = rng.choice(np.array(spec.choices), N)
        elif spec.type is FactType.BOOLEAN:
            values = rng.random(N) < 0.3
        elif spec.type is FactType.DATE:
            values = rng.integers(15_000, 21_000, N).astype(np.int64)
        elif spec.type is FactType.MONEY:
            values = rng.integers(0, 1_000_000_000, N).astype(np.int64)
            values[rng.random(N) < 0.3] = 0
        elif spec.type is FactType.DECIMAL:
            values = rng.integers(0, 5_000, N).astype(np.int64)
        else:
            values = rng.integers(0, 400, N).astype(np.int64)
        edges = points.get(name, [])
        if edges:  # a third of the rows sit exactly on or next to a threshold
            on_edge = rng.random(N) < 0.33
            values[on_edge] = rng.choice(np.array(edges), on_edge.sum())
        known = rng.random(N) > 0.03
        columns[name] = Column(values, known)
    return columns


def typed(spec, units):
    if spec.type is FactType.MONEY:
        return (Decimal(int(units)) / 100).quantize(Decimal("0.01"))
    if spec.type is FactType.DECIMAL:
        return (Decimal(int(units)) / 10).quantize(Decimal("0.1"))
    if spec.type is FactType.DATE:
        return EPOCH + timedelta(days=int(units))
    if spec.type is FactType.BOOLEAN:
        return bool(units)
    if spec.type is FactType.INTEGER:
        return int(units)
    return str(units)


@pytest.mark.parametrize("rounding", ["half_up", "down"])
@pytest.mark.parametrize("as_of", [date(2026, 11, 27), date(2027, 1, 1)])
def test_batch_and_single_agree_row_by_row(rounding, as_of):
    rules = parse_rules(criteria=CRITERIA, benefit=BENEFIT, parameters=PARAMETERS,
                        rounding=rounding)  # fmt: skip
    columns = generate_columns(rules, as_of, seed=zlib.crc32(f"{rounding}{as_of}".encode()))
    cap = Decimal("250000.00")
    batch = evaluate_batch(rules, columns, as_of, cap=cap)
    statuses = batch.status()
    seen = set()
    for row in range(N):
        facts = {
            name: typed(CATALOGUE[name], column.values[row]) if column.known[row] else None
            for name, column in columns.items()
        }
        single = evaluate(rules, facts, as_of, cap=cap)
        assert single.status == statuses[row], (row, facts)
        seen.add(single.status)
        for criterion in single.criteria:
            result, known = batch.criteria[criterion.id]
            assert (criterion.result if criterion.result is not None else None) == (
                bool(result[row]) if known[row] else None
            ), (row, criterion.id, facts)
        if single.status == "eligible":
            assert single.amount == Decimal(int(batch.amount_fen[row])) / 100, (row, facts)
    assert seen == {"eligible", "ineligible", "unknown"}  # the sample covers every outcome


def test_huge_amounts_stay_exact_beyond_int64():
    """Revenue of a city-sized group times a rate: the product passes 2^63 in millionths."""
    rules = parse_rules(
        criteria={"id": "any", "label": {"zh": "是", "en": "yes"}, "clause": "§1",
                  "fact": "tax.annual_revenue", "op": "known"},
        benefit={"mul": [{"fact": "tax.annual_revenue"}, {"number": "0.123457"},
                         {"fact": "hrss.insured_employees"}]},
        parameters={},
    )  # fmt: skip
    revenue_fen = np.array([9_007_199_254_740_993, 123_456_789_012_345], dtype=np.int64)
    staff = np.array([4_000, 7], dtype=np.int64)
    columns = {"tax.annual_revenue": Column(revenue_fen, np.ones(2, bool)),
               "hrss.insured_employees": Column(staff, np.ones(2, bool))}  # fmt: skip
    batch = evaluate_batch(rules, columns, date(2026, 1, 1))
    for row in range(2):
        single = evaluate(rules, {"tax.annual_revenue": Decimal(int(revenue_fen[row])) / 100,
                                  "hrss.insured_employees": int(staff[row])},
                          date(2026, 1, 1))  # fmt: skip
        assert single.amount == Decimal(int(batch.amount_fen[row])) / 100
