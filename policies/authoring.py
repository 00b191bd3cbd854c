"""Reading a version as its authors and approvers read it: the rules in words, each
criterion linked to the clause of the legal basis it cites, and the batch run it started.

Reads only (writes are services.py). The words are built here, not in templates, so the
version page, tests and any later export say the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _

from datahub.catalogue import FactType
from qinqing.i18n import prefers_chinese
from qinqing.money import yuan as to_yuan

from .models import PolicyVersion
from .rules.criteria import Leaf, Node
from .rules.errors import RuleError
from .rules.formulas import Expr

OPERATOR_WORDS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": "=", "ne": "≠"}


@dataclass
class Paragraph:
    anchor: str
    text: str


@dataclass
class CriterionText:
    """A criterion (leaf) or a group, in words."""

    heading: str = ""  # groups: "All of:", "None of:" …
    label: str = ""
    condition: str = ""
    clause: str = ""
    anchor: str = ""  # the legal basis paragraph the clause points to ("" if not found)
    negated: bool = False
    children: list[CriterionText] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return bool(self.heading)


@dataclass
class RulesInWords:
    criteria: CriterionText
    benefit: str
    basis: list[Paragraph]
    cap: Decimal | None

    @property
    def criteria_nodes(self) -> list[CriterionText]:
        return [self.criteria]


def legal_basis_paragraphs(text: str) -> list[Paragraph]:
    """The legal basis split into its paragraphs, each with an anchor to link to."""
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n|\n", text or "") if part.strip()]
    return [Paragraph(f"clause-{index + 1}", part) for index, part in enumerate(paragraphs)]


def clause_anchor(clause: str, paragraphs: list[Paragraph]) -> str:
    """The paragraph a criterion's clause points to: the one that states the clause, or,
    for 第三条第一款, the paragraph of 第三条 (an article's heading starts its paragraph)."""
    clause = (clause or "").strip()
    if not clause:
        return ""
    candidates = [clause]
    article = re.match(r"^(第[^条]+条)", clause)
    if article:
        candidates.append(article.group(1))
    for candidate in candidates:
        for paragraph in paragraphs:
            if paragraph.text.startswith(candidate):
                return paragraph.anchor
        for paragraph in paragraphs:
            if candidate in paragraph.text:
                return paragraph.anchor
    return ""


def _value(kind: FactType, value: Any) -> str:
    if value is None:
        return "—"
    if kind is FactType.MONEY:
        return f"¥{to_yuan(value):,.2f}"
    if kind is FactType.BOOLEAN or isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _operand(leaf: Leaf, operand, on: date) -> str:
    try:
        shown = _value(leaf.fact.type, operand.value_at(on))
    except RuleError:
        shown = "—"
    if operand.parameter is not None:
        return _("%(value)s (parameter %(name)s)") % {"value": shown,
                                                      "name": operand.parameter.name}  # fmt: skip
    return shown


def condition_text(leaf: Leaf, on: date) -> str:
    """ "Insured employees ≥ 10 (parameter min_staff)", "Industry is one of C, I" …"""
    fact = leaf.fact.label
    operands = [_operand(leaf, operand, on) for operand in leaf.operands]
    op = leaf.op
    if op in OPERATOR_WORDS:
        return f"{fact} {OPERATOR_WORDS[op]} {operands[0]}"
    if op == "between":
        low = "≤" if leaf.inclusive[0] else "<"
        high = "≤" if leaf.inclusive[1] else "<"
        return f"{operands[0]} {low} {fact} {high} {operands[1]}"
    if op == "in":
        return _("%(fact)s is one of %(values)s") % {"fact": fact, "values": ", ".join(operands)}
    if op == "not_in":
        return _("%(fact)s is none of %(values)s") % {"fact": fact, "values": ", ".join(operands)}
    if op == "is_true":
        return _("%(fact)s: yes") % {"fact": fact}
    if op == "is_false":
        return _("%(fact)s: no") % {"fact": fact}
    return _("%(fact)s is known") % {"fact": fact}


def _label(label: dict[str, str]) -> str:
    if not label:
        return ""
    return label.get("zh", "") if prefers_chinese() else (label.get("en") or label.get("zh", ""))


def _criteria(node: Node, on: date, paragraphs: list[Paragraph], negated=False) -> CriterionText:
    if isinstance(node, Leaf):
        return CriterionText(label=_label(node.label), condition=condition_text(node, on),
                             clause=node.clause, anchor=clause_anchor(node.clause, paragraphs),
                             negated=negated)  # fmt: skip
    if node.kind == "not":
        (child,) = node.children
        if isinstance(child, Leaf):
            return _criteria(child, on, paragraphs, negated=True)
        inner = _criteria(child, on, paragraphs)
        inner.heading = {"any": _("None of these:"), "all": _("Not all of these:")}[child.kind]
        inner.label = inner.label or _label(node.label)
        return inner
    heading = {"all": _("All of these:"), "any": _("Any one of these:")}[node.kind]
    children = [_criteria(child, on, paragraphs) for child in node.children]
    return CriterionText(heading=heading, label=_label(node.label), children=children)


def _parenthesised(expr: Expr, on: date) -> str:
    text = benefit_text(expr, on)
    return f"({text})" if expr.kind in ("add", "sub") else text


def benefit_text(expr: Expr, on: date) -> str:
    """The formula in words: "¥500.00 × insured employees", "the lower of …", tiers."""
    kind = expr.kind
    if kind == "amount":
        return _value(FactType.MONEY, expr.value)
    if kind == "number":
        return str(expr.value.normalize()) if isinstance(expr.value, Decimal) else str(expr.value)
    if kind == "param":
        try:
            value = _value(expr.parameter.type, expr.parameter.at(on))
        except RuleError:
            value = "—"
        return _("%(value)s (parameter %(name)s)") % {"value": value, "name": expr.parameter.name}
    if kind == "fact":
        return expr.fact.label
    if kind in ("add", "sub", "mul"):
        sign = {"add": " + ", "sub": " − ", "mul": " × "}[kind]
        parts = [_parenthesised(child, on) if kind != "add" else benefit_text(child, on)
                 for child in expr.children]  # fmt: skip
        return sign.join(parts)
    if kind in ("min", "max"):
        parts = "; ".join(benefit_text(child, on) for child in expr.children)
        template = _("the lower of: %(parts)s") if kind == "min" else _("the higher of: %(parts)s")
        return template % {"parts": parts}
    if kind == "choose":
        cases = "; ".join(f"{expr.fact.choice_label(value)}: {benefit_text(amount, on)}"
                          for value, amount in expr.cases)  # fmt: skip
        return _("by %(fact)s — %(cases)s; otherwise: %(otherwise)s") % {
            "fact": expr.fact.label, "cases": cases,
            "otherwise": benefit_text(expr.otherwise, on)}  # fmt: skip
    bands = []
    for low, high, amount in expr.tiers:
        where = (_("from %(low)s") % {"low": low} if high is None
                 else _("from %(low)s to below %(high)s") % {"low": low, "high": high})  # fmt: skip
        bands.append(f"{where}: {benefit_text(amount, on)}")
    return _("by %(fact)s — %(bands)s") % {"fact": expr.fact.label, "bands": "; ".join(bands)}


def rules_in_words(version: PolicyVersion, on: date | None = None) -> RulesInWords:
    """The version's criteria and formula in words, with the legal basis they cite.
    Parameters are shown with their value on `on` (by default when claims open)."""
    on = on or version.valid_from
    paragraphs = legal_basis_paragraphs(version.policy.legal_basis_zh)
    rules = version.rules
    return RulesInWords(
        criteria=_criteria(rules.criteria, on, paragraphs),
        benefit=benefit_text(rules.benefit, on),
        basis=paragraphs,
        cap=version.per_enterprise_cap,
    )


def batch_run_of(version: PolicyVersion, user: Any = None) -> Any:
    """The batch run the version's publication started, if any (subsidies owns the run;
    reached through the reverse relation, so policies does not import subsidies)."""
    try:
        return version.batch_run
    except (ObjectDoesNotExist, AttributeError):
        return None
