"""Near-miss advice: for each criterion an enterprise fails, the smallest change of one fact
that would satisfy it, derived from the rule itself (never written per policy).

The rules are a tree of `all` / `any` / `not` over leaves. Walking down from the top with
the result we want (True at the top): an `all` we want true (or an `any` we want false)
needs each of its children fixed on its own, so each failing child is its own requirement;
a `not` swaps the wanted result; a leaf, an `any` we want true or an `all` we want false is
one requirement, met by any single leaf whose flip would turn it. For every leaf the
change that flips it is read from its comparison: `ge 10` needs "at least 10"; under an odd
number of `not` the comparison is negated ("fewer than 10"); strict bounds on whole
numbers, fen, tenths and days become inclusive ("more than 10" is "at least 11").

Where no single change can be named, the requirement says why (`reason`): the fact is
unknown, the department holds no record, several facts would have to change together, the
threshold has no value on the day, or the criteria are met and only the amount is unknown.

No Django here: the words are policies.wording's (`requirement_text`), the evaluation the
engine's (its per-criterion outcomes, in the order of the rules' leaves).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from datahub.catalogue import FactType

from .engine import ELIGIBLE, CriterionResult
from .rules.criteria import Group, Leaf, Node, leaves
from .rules.errors import RuleError
from .rules.ruleset import RuleSet

# Why no change can be named.
UNKNOWN_FACT = "unknown_fact"  # the department's answer could not be read
NO_RECORD = "no_record"  # a "known" criterion: the department holds nothing
SEVERAL_CHANGES = "several_changes"  # no single fact's change would turn the group
NO_THRESHOLD = "no_threshold"  # the parameter has no value on that day
NO_OTHER_VALUE = "no_other_value"  # e.g. "none of" every value the fact can take
AMOUNT = "amount"  # the criteria are met; the amount cannot be worked out
REASONS = (UNKNOWN_FACT, NO_RECORD, SEVERAL_CHANGES, NO_THRESHOLD, NO_OTHER_VALUE, AMOUNT)

# The smallest step of each ordered type: "more than x" is "at least x + step".
STEP: dict[FactType, Any] = {
    FactType.INTEGER: 1,
    FactType.MONEY: Decimal("0.01"),
    FactType.DECIMAL: Decimal("0.1"),
    FactType.DATE: timedelta(days=1),
}
NEGATED = {"ge": "lt", "gt": "le", "le": "gt", "lt": "ge", "eq": "ne", "ne": "eq",
           "in": "not_in", "not_in": "in",
           "is_true": "is_false", "is_false": "is_true"}  # fmt: skip
# The operators a change is stated with.
CHANGE_OPERATORS = ("ge", "le", "eq", "ne", "in", "not_in")


@dataclass(frozen=True)
class Change:
    """One fact's change that would satisfy one criterion: `fact` `op` `needed` (a list
    for in / not_in), where it is `current` now."""

    criterion: str
    label: dict[str, str]
    fact: str
    fact_type: FactType
    current: Any
    op: str
    needed: Any


@dataclass(frozen=True)
class Requirement:
    """What one failing part of the rules needs: any one of `options` (a criterion's own
    change, or each criterion of a group whose change alone would turn it), or, when no
    single change can be named, the `reason`. `criteria`: the failed criteria it covers."""

    criteria: tuple[str, ...]
    group: str
    options: tuple[Change, ...]
    reason: str = ""

    @property
    def possible(self) -> bool:
        return bool(self.options)


def advise(rules: RuleSet, criteria: Iterable[CriterionResult], as_of: date,
           status: str) -> list[Requirement]:  # fmt: skip
    """The requirements that stand between the enterprise and eligibility (none when it is
    eligible). `criteria`: the engine's per-criterion outcomes (Outcome.criteria)."""
    if status == ELIGIBLE:
        return []
    outcomes = {criterion.id: criterion for criterion in criteria}
    results = {leaf_id: outcome.result for leaf_id, outcome in outcomes.items()}
    found: list[Requirement] = []
    _requirements(rules.criteria, True, results, outcomes, as_of, found)
    if not found and _evaluate(rules.criteria, results) is True:
        found.append(Requirement((), "", (), AMOUNT))
    return found


def _requirements(node: Node, want: bool, results: dict, outcomes: dict, as_of: date,
                  found: list[Requirement]) -> None:  # fmt: skip
    if _evaluate(node, results) is want:
        return
    if isinstance(node, Group) and node.kind == "not":
        _requirements(node.children[0], not want, results, outcomes, as_of, found)
        return
    if isinstance(node, Group) and (node.kind == "all") == want:
        for child in node.children:
            _requirements(child, want, results, outcomes, as_of, found)
        return
    options: list[Change] = []
    reasons: list[str] = []
    for leaf in leaves(node):
        result = results.get(leaf.id)
        if result is None:
            reasons.append(UNKNOWN_FACT)
            continue
        if _evaluate(node, {**results, leaf.id: not result}) is not want:
            continue
        outcome = outcomes.get(leaf.id)
        change = _change(leaf, outcome.value if outcome else None, not result, as_of)
        (options if isinstance(change, Change) else reasons).append(change)
    failed = tuple(leaf.id for leaf in leaves(node)
                   if outcomes.get(leaf.id) is None
                   or outcomes[leaf.id].met is not True)  # fmt: skip
    reason = "" if options else (reasons[0] if reasons else SEVERAL_CHANGES)
    group = node.id if isinstance(node, Group) else ""
    found.append(Requirement(failed, group, tuple(sorted(options, key=_cost)), reason))


def _evaluate(node: Node, results: dict) -> bool | None:
    """Three-valued, as the engine: unknown is neither true nor false."""
    if isinstance(node, Leaf):
        return results.get(node.id)
    values = [_evaluate(child, results) for child in node.children]
    if node.kind == "not":
        return None if values[0] is None else not values[0]
    if node.kind == "all":
        return False if False in values else (None if None in values else True)
    return True if True in values else (None if None in values else False)


def _change(leaf: Leaf, current: Any, want: bool, as_of: date) -> Change | str:
    """The change of `leaf`'s fact that gives the comparison the result `want`."""
    if leaf.op == "known":
        return NO_RECORD
    if current is None:
        return UNKNOWN_FACT
    try:
        operands = [operand.value_at(as_of) for operand in leaf.operands]
    except RuleError:
        return NO_THRESHOLD
    kind = leaf.fact.type

    def change(op: str, needed: Any) -> Change | str:
        op, needed = _inclusive(kind, op, needed)
        if op in ("in", "not_in") and kind is FactType.ENUM:
            allowed = [choice for choice in leaf.fact.choices
                       if (choice in needed) == (op == "in")]  # fmt: skip
            if not allowed:
                return NO_OTHER_VALUE
            op, needed = ("eq", allowed[0]) if len(allowed) == 1 else ("in", allowed)
        return Change(leaf.id, leaf.label, leaf.fact.name, kind, current, op, needed)

    op = leaf.op
    if op == "between":
        return change(*_between(kind, current, operands, leaf.inclusive, want))
    if op in ("is_true", "is_false"):
        return change("eq", (op == "is_true") == want)
    if not want:
        op = NEGATED[op]
    if kind is FactType.BOOLEAN:
        return change("eq", operands[0] if op == "eq" else not operands[0])
    if kind is FactType.ENUM and op == "ne":
        return change("not_in", [operands[0]])
    if kind is FactType.ENUM and op == "eq":
        return change("eq", operands[0])
    if op in ("in", "not_in"):
        return change(op, list(operands))
    return change(op, operands[0])


def _between(kind: FactType, current: Any, operands: list, inclusive: tuple[bool, bool],
             want: bool) -> tuple[str, Any]:  # fmt: skip
    """Into the range: the bound it lies beyond; out of it: the nearer side."""
    low, high = operands
    if want:
        if current < low or (current == low and not inclusive[0]):
            return ("ge" if inclusive[0] else "gt"), low
        return ("le" if inclusive[1] else "lt"), high
    if current - low <= high - current:
        return ("lt" if inclusive[0] else "le"), low
    return ("gt" if inclusive[1] else "ge"), high


def _inclusive(kind: FactType, op: str, needed: Any) -> tuple[str, Any]:
    """ "More than 10 persons" is "at least 11": the smallest value that would do."""
    step = STEP.get(kind)
    if step is not None and op == "gt":
        return "ge", needed + step
    if step is not None and op == "lt":
        return "le", needed - step
    return op, needed


def _cost(change: Change) -> tuple[int, Decimal]:
    """Nearer changes first: the relative gap of a number or date; a category or a yes/no
    is one whole change."""
    if change.op not in ("ge", "le") or change.current is None:
        return (1, Decimal(0))
    gap = change.needed - change.current
    if isinstance(gap, timedelta):
        return (0, Decimal(abs(gap.days)) / 365)
    scale = max(abs(Decimal(change.current)), abs(Decimal(change.needed)), Decimal(1))
    return (0, abs(Decimal(gap)) / scale)
