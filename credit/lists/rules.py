"""The language of list rules: when an enterprise goes on the red or the black list.

A closed vocabulary, checked when a rule is saved, evaluated without `eval`:

    {"records": {"kinds": ["commitment_breached"], "severities": ["general", "serious"],
                 "within_months": 12}, "at_least": 2}
        — counts the enterprise's records of those kinds and severities dated within the
          last 12 months (neither repaired nor superseded); `at_least` or `at_most`.
          `kinds` defaults to every untrustworthy kind, `severities` to all three.
    {"grade": ["A"], "held_months": 12}
        — the enterprise has held one of these grades for at least 12 months.
    {"all": [...]}, {"any": [...]}
        — every / some condition holds.

A rule must be able to find its enterprises from the records or grades it names (at
least one `at_least` or `grade` condition on every path), so that the daily sweep can
look for candidates instead of reading the whole register.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, Protocol

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from ..records.models import NEGATIVE_KINDS, RecordKind, Severity, add_months

GRADE_LETTERS = ("A", "B", "C", "D")
MAX_MONTHS = 120


class RuleError(ValueError):
    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


@dataclass(frozen=True)
class RecordsLeaf:
    kinds: tuple[str, ...]
    severities: tuple[str, ...]
    within_months: int
    at_least: int | None = None
    at_most: int | None = None

    @property
    def selection(self) -> tuple[tuple[str, ...], tuple[str, ...], int]:
        """What is counted (the same selection is loaded once for every rule using it)."""
        return self.kinds, self.severities, self.within_months

    def since(self, today: date) -> date:
        return add_months(today, -self.within_months)

    @property
    def generative(self) -> bool:
        return self.at_least is not None and self.at_least >= 1


@dataclass(frozen=True)
class GradeLeaf:
    grades: tuple[str, ...]
    held_months: int

    generative = True

    def held_since_at_most(self, today: date) -> date:
        return add_months(today, -self.held_months)


@dataclass(frozen=True)
class Group:
    op: str  # "all" or "any"
    children: tuple[Node, ...]


Node = RecordsLeaf | GradeLeaf | Group


def _months(raw: Any, path: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_MONTHS:
        raise RuleError(
            path, _("a whole number of months from 1 to %(most)d") % {"most": MAX_MONTHS}
        )
    return raw


def _count(raw: Any, path: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise RuleError(path, _("a whole number, zero or more"))
    return raw


def _choices(raw: Any, allowed: list[str], path: str, default: tuple[str, ...]) -> tuple:
    if raw is None:
        return default
    if not isinstance(raw, list) or not raw:
        raise RuleError(path, _("a non-empty list"))
    unknown = [str(value) for value in raw if value not in allowed]
    if unknown:
        raise RuleError(path, _("unknown values: %(values)s") % {"values": ", ".join(unknown)})
    return tuple(sorted(set(raw)))


def parse_condition(raw: Any, path: str = "condition") -> Node:
    node = _parse(raw, path)
    if not _generative(node):
        raise RuleError(path, _("every way of meeting this rule needs an “at_least” records "
                                "condition or a grade condition, so that its enterprises can "
                                "be found"))  # fmt: skip
    return node


def _parse(raw: Any, path: str) -> Node:
    if not isinstance(raw, dict) or len(raw) == 0:
        raise RuleError(path, _("a condition object"))
    if set(raw) in ({"all"}, {"any"}):
        op = next(iter(raw))
        children = raw[op]
        if not isinstance(children, list) or not children:
            raise RuleError(f"{path}.{op}", _("a non-empty list of conditions"))
        return Group(op, tuple(_parse(child, f"{path}.{op}[{index}]")
                               for index, child in enumerate(children)))  # fmt: skip
    if "records" in raw:
        extra = set(raw) - {"records", "at_least", "at_most"}
        if extra:
            raise RuleError(path, _("unknown keys: %(keys)s") % {"keys": ", ".join(sorted(extra))})
        body = raw["records"]
        if not isinstance(body, dict) or not set(body) <= {"kinds", "severities", "within_months"}:
            raise RuleError(f"{path}.records", _("kinds, severities and within_months only"))
        if ("at_least" in raw) == ("at_most" in raw):
            raise RuleError(path, _("give either at_least or at_most"))
        negative = tuple(sorted(NEGATIVE_KINDS))
        return RecordsLeaf(
            kinds=_choices(body.get("kinds"), list(RecordKind.values), f"{path}.records.kinds",
                           negative),
            severities=_choices(body.get("severities"), list(Severity.values),
                                f"{path}.records.severities", tuple(sorted(Severity.values))),
            within_months=_months(body.get("within_months"), f"{path}.records.within_months"),
            at_least=_count(raw["at_least"], f"{path}.at_least") if "at_least" in raw else None,
            at_most=_count(raw["at_most"], f"{path}.at_most") if "at_most" in raw else None,
        )  # fmt: skip
    if "grade" in raw:
        extra = set(raw) - {"grade", "held_months"}
        if extra:
            raise RuleError(path, _("unknown keys: %(keys)s") % {"keys": ", ".join(sorted(extra))})
        grades = _choices(raw["grade"], list(GRADE_LETTERS), f"{path}.grade", ())
        return GradeLeaf(grades, _months(raw.get("held_months"), f"{path}.held_months"))
    raise RuleError(path, _("a condition is all, any, records or grade"))


def _generative(node: Node) -> bool:
    if isinstance(node, Group):
        results = [_generative(child) for child in node.children]
        return any(results) if node.op == "all" else all(results)
    return node.generative


def records_leaves(node: Node) -> list[RecordsLeaf]:
    if isinstance(node, Group):
        return [leaf for child in node.children for leaf in records_leaves(child)]
    return [node] if isinstance(node, RecordsLeaf) else []


def grade_leaves(node: Node) -> list[GradeLeaf]:
    if isinstance(node, Group):
        return [leaf for child in node.children for leaf in grade_leaves(child)]
    return [node] if isinstance(node, GradeLeaf) else []


class Facts(Protocol):
    """What a rule reads of one enterprise."""

    def count(self, leaf: RecordsLeaf) -> int: ...

    def grade(self) -> tuple[str, date | None]: ...


@dataclass
class Finding:
    holds: bool
    # What was found, for the entry's reason and evidence: {"condition", "value", "holds"}.
    evidence: list[dict[str, Any]]


def evaluate(node: Node, facts: Facts, today: date) -> Finding:
    if isinstance(node, Group):
        findings = [evaluate(child, facts, today) for child in node.children]
        holds = (
            all(f.holds for f in findings) if node.op == "all" else any(f.holds for f in findings)
        )
        return Finding(holds, [item for f in findings for item in f.evidence])
    if isinstance(node, RecordsLeaf):
        found = facts.count(node)
        holds = found >= node.at_least if node.at_least is not None else found <= node.at_most
        return Finding(holds, [{"condition": describe(node), "value": found, "holds": holds}])
    grade, since = facts.grade()
    holds = grade in node.grades and since is not None and since <= node.held_since_at_most(today)
    shown = f"{grade} ({since.isoformat()})" if since else grade
    return Finding(holds, [{"condition": describe(node), "value": shown, "holds": holds}])


def describe(node: Node) -> str:
    """One line a person reads: what the condition asks, in the active language."""
    return _described(node, get_language())


@lru_cache(maxsize=512)
def _described(node: Node, language: str | None) -> str:
    """Kept per condition and language: the sweep describes each condition once per
    enterprise it evaluates (the evidence), and translating it each time cost a third of
    applying the rules."""
    if isinstance(node, Group):
        joiner = _(" and ") if node.op == "all" else _(" or ")
        return "(" + joiner.join(describe(child) for child in node.children) + ")"
    if isinstance(node, GradeLeaf):
        return ngettext("grade %(grades)s held for %(n)d month",
                        "grade %(grades)s held for %(n)d months", node.held_months) % {
            "grades": "/".join(node.grades), "n": node.held_months}  # fmt: skip
    kinds = ", ".join(str(RecordKind(kind).label) for kind in node.kinds)
    if set(node.kinds) == set(NEGATIVE_KINDS):
        kinds = _("untrustworthy records")
    severities = "/".join(str(Severity(severity).label) for severity in node.severities)
    if node.at_least is not None:
        amount = _("at least %(n)d") % {"n": node.at_least}
    else:
        amount = _("at most %(n)d") % {"n": node.at_most}
    return ngettext(
        "%(amount)s of %(kinds)s (%(severities)s) in the last %(months)d month",
        "%(amount)s of %(kinds)s (%(severities)s) in the last %(months)d months",
        node.within_months,
    ) % {"amount": amount, "kinds": kinds, "severities": severities,
         "months": node.within_months}  # fmt: skip
