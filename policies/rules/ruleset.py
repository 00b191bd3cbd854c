"""A whole version's rules (RuleSet): criteria, benefit formula, parameters, rounding and
beneficiary, parsed together by parse_rules."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP
from typing import Any

from .criteria import Node, leaves, parse_criteria
from .errors import RuleError
from .facts import BENEFICIARIES, ENTERPRISE, is_person_fact
from .formulas import Expr, formula_facts, parse_benefit
from .parameters import Parameter, parse_parameters

ROUNDING = {"half_up": ROUND_HALF_UP, "down": ROUND_DOWN}


@dataclass(frozen=True)
class RuleSet:
    criteria: Node
    benefit: Expr
    parameters: dict[str, Parameter]
    rounding: str
    beneficiary: str = ENTERPRISE

    @property
    def fact_names(self) -> list[str]:
        """Every fact the rules read: for persons, person facts and the employer's."""
        names = [leaf.fact.name for leaf in leaves(self.criteria)]
        names += [spec.name for spec in formula_facts(self.benefit)]
        return list(dict.fromkeys(names))

    @property
    def person_fact_names(self) -> list[str]:
        """The facts about the person (asked of the person's departments)."""
        return [name for name in self.fact_names if is_person_fact(name)]

    @property
    def employer_fact_names(self) -> list[str]:
        """The enterprise facts: of the enterprise itself, or of a person's employer."""
        return [name for name in self.fact_names if not is_person_fact(name)]


def parse_rules(*, criteria: Any, benefit: Any, parameters: Any, rounding: str = "half_up",
                beneficiary: str = ENTERPRISE) -> RuleSet:  # fmt: skip
    if rounding not in ROUNDING:
        raise RuleError("rounding", f"use one of {', '.join(ROUNDING)}")
    if beneficiary not in BENEFICIARIES:
        raise RuleError("beneficiary", f"use one of {', '.join(BENEFICIARIES)}")
    parsed_parameters = parse_parameters(parameters)
    return RuleSet(
        criteria=parse_criteria(criteria, parsed_parameters, beneficiary=beneficiary),
        benefit=parse_benefit(benefit, parsed_parameters, beneficiary=beneficiary),
        parameters=parsed_parameters,
        rounding=rounding,
        beneficiary=beneficiary,
    )
