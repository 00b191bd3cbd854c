"""Evaluating a version's rules for one enterprise, with a complete explanation.

Every criterion is evaluated (no short-circuit), so the explanation names every reason.
Three-valued: a criterion over an unknown fact is unknown; `all` is false when any child
is false, unknown when none is false but one is unknown; `any` the mirror image. Unknown
overall means "we cannot decide yet", never a denial.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from datahub.facttypes import FactType, to_json

from .rules.criteria import Leaf, Node
from .rules.formulas import Expr, result_type
from .rules.literals import FEN
from .rules.ruleset import ROUNDING, RuleSet

NUMBER_PLACES = Decimal("0.000001")  # products of plain numbers keep six places


@dataclass(frozen=True)
class CriterionResult:
    id: str
    label: dict[str, str]
    clause: str
    fact: str
    value: Any
    op: str
    threshold: Any
    result: bool | None
    department: str
    # Under an odd number of `not`: the criterion is met when the comparison is false.
    negated: bool = False
    # Inside an `any`: one alternative among others, not required on its own.
    alternative: bool = False

    @property
    def met(self) -> bool | None:
        """Whether this criterion counts in the enterprise's favour, as a person reads it."""
        return None if self.result is None else self.result != self.negated

    def as_json(self) -> dict:
        threshold = self.threshold
        if isinstance(threshold, list | tuple):
            threshold = [to_json(item) for item in threshold]
        else:
            threshold = to_json(threshold)
        return {"id": self.id, "label": self.label, "clause": self.clause, "fact": self.fact,
                "value": to_json(self.value), "op": self.op, "threshold": threshold,
                "result": self.result, "negated": self.negated,
                "alternative": self.alternative, "met": self.met,
                "department": self.department}  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    status: str  # eligible / ineligible / unknown
    amount: Decimal | None
    criteria: list[CriterionResult]


ELIGIBLE, INELIGIBLE, UNKNOWN = "eligible", "ineligible", "unknown"


def evaluate(rules: RuleSet, facts: dict[str, Any], as_of: date,
             cap: Decimal | None = None) -> Outcome:  # fmt: skip
    """`facts` maps fact names to typed values, None for unknown."""
    explained: list[CriterionResult] = []
    verdict = _node(rules.criteria, facts, as_of, explained, negated=False, alternative=False)
    amount = None
    if verdict is True:
        amount = benefit_amount(rules, facts, as_of, cap)
        status = ELIGIBLE if amount is not None else UNKNOWN
    else:
        status = INELIGIBLE if verdict is False else UNKNOWN
    return Outcome(status, amount, explained)


def _node(node: Node, facts: dict, as_of: date, explained: list, *, negated: bool,
          alternative: bool) -> bool | None:  # fmt: skip
    if isinstance(node, Leaf):
        result = _leaf(node, facts.get(node.fact.name), as_of)
        threshold = [operand.value_at(as_of) for operand in node.operands]
        explained.append(CriterionResult(
            node.id, node.label, node.clause, node.fact.name, facts.get(node.fact.name),
            node.op, threshold[0] if len(threshold) == 1 else threshold, result,
            node.fact.department, negated, alternative,
        ))  # fmt: skip
        return result
    # Under `not`, an `all` reads as "not every one" and an `any` as "none": the children's
    # roles swap, which is what a person needs to see.
    child_negated = negated != (node.kind == "not")
    effective_kind = (
        node.kind if not negated else {"all": "any", "any": "all"}.get(node.kind, node.kind)
    )
    child_alternative = alternative or effective_kind == "any"
    results = [_node(child, facts, as_of, explained, negated=child_negated,
                     alternative=child_alternative) for child in node.children]  # fmt: skip
    if node.kind == "not":
        return None if results[0] is None else not results[0]
    if node.kind == "all":
        if False in results:
            return False
        return None if None in results else True
    if True in results:
        return True
    return None if None in results else False


def _leaf(leaf: Leaf, value: Any, as_of: date) -> bool | None:
    if leaf.op == "known":
        return value is not None
    if value is None:
        return None
    operands = [operand.value_at(as_of) for operand in leaf.operands]
    return _COMPARE[leaf.op](value, operands, leaf.inclusive)


_COMPARE = {
    "eq": lambda v, o, _: v == o[0],
    "ne": lambda v, o, _: v != o[0],
    "lt": lambda v, o, _: v < o[0],
    "le": lambda v, o, _: v <= o[0],
    "gt": lambda v, o, _: v > o[0],
    "ge": lambda v, o, _: v >= o[0],
    "in": lambda v, o, _: v in o,
    "not_in": lambda v, o, _: v not in o,
    "between": lambda v, o, inc: (
        (o[0] <= v if inc[0] else o[0] < v) and (v <= o[1] if inc[1] else v < o[1])
    ),
    "is_true": lambda v, o, _: v is True,
    "is_false": lambda v, o, _: v is False,
}


def benefit_amount(rules: RuleSet, facts: dict, as_of: date, cap: Decimal | None) -> Decimal | None:
    value = _expr(rules.benefit, facts, as_of, ROUNDING[rules.rounding])
    if value is None:
        return None
    amount = max(Decimal("0.00"), value.quantize(FEN, rounding=ROUNDING[rules.rounding]))
    if cap is not None:
        amount = min(amount, cap)
    return amount


def _expr(expr: Expr, facts: dict, as_of: date, rounding: str) -> Decimal | None:
    kind = expr.kind
    if kind in ("amount", "number"):
        return expr.value
    if kind == "param":
        return Decimal(expr.parameter.at(as_of))
    if kind == "fact":
        value = facts.get(expr.fact.name)
        return None if value is None else Decimal(value)
    if kind == "choose":
        value = facts.get(expr.fact.name)
        if value is None:
            return None
        chosen = dict(expr.cases).get(value, expr.otherwise)
        return _expr(chosen, facts, as_of, rounding)
    if kind == "tiers":
        value = facts.get(expr.fact.name)
        if value is None:
            return None
        for low, high, amount in expr.tiers:
            if low <= value and (high is None or value < high):
                return _expr(amount, facts, as_of, rounding)
        return Decimal("0.00")
    values = [_expr(child, facts, as_of, rounding) for child in expr.children]
    if any(value is None for value in values):
        return None
    if kind == "add":
        return sum(values, Decimal(0))
    if kind == "sub":
        return values[0] - values[1]
    if kind == "min":
        return min(values)
    if kind == "max":
        return max(values)
    # mul: amounts are rounded to the fen at each product, plain numbers to six places,
    # the same in the batch evaluation.
    product = Decimal(1)
    for value in values:
        product *= value
    is_money = any(_is_money(child) for child in expr.children)
    return product.quantize(FEN if is_money else NUMBER_PLACES, rounding=rounding)


def _is_money(expr: Expr) -> bool:
    return result_type(expr) is FactType.MONEY
