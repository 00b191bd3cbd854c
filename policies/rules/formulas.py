"""Benefit formulas: amounts, numbers, parameters and facts combined with arithmetic,
`min`/`max`, `tiers` and `choose` (Expr), parsed with their result type (yuan or a number)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from datahub.facttypes import FactType
from qinqing.guard import is_plain_number

from .errors import RuleError
from .facts import ENTERPRISE, FactSpec, rule_fact
from .literals import LIMIT, NUMERIC, parse_literal
from .parameters import Parameter
from .size_limits import check_size


@dataclass(frozen=True)
class Expr:
    kind: str  # amount / number / param / fact / add / sub / mul / min / max / tiers / choose
    value: Any = None
    children: tuple[Expr, ...] = ()
    tiers: tuple[tuple[Decimal, Decimal | None, Expr], ...] = ()  # (from, to, amount)
    # choose: (value, amount) per case of an enumeration; `otherwise` for the other values.
    cases: tuple[tuple[str, Expr], ...] = ()
    otherwise: Expr | None = None
    fact: FactSpec | None = None
    parameter: Parameter | None = None


def parse_benefit(raw: Any, parameters: dict[str, Parameter], path: str = "benefit", *,
                  beneficiary: str = ENTERPRISE) -> Expr:  # fmt: skip
    """A formula whose result is an amount in yuan."""
    check_size(raw, path, kind="formula")
    expr = _parse_expr(raw, parameters, path, beneficiary)
    if result_type(expr) is not FactType.MONEY:
        raise RuleError(path, "the benefit must come out as an amount in yuan")
    return expr


def _parse_expr(raw: Any, parameters: dict[str, Parameter], path: str,
                beneficiary: str = ENTERPRISE) -> Expr:  # fmt: skip
    if not isinstance(raw, dict) or len(raw) != 1:
        raise RuleError(path, "expected one of amount, number, param, fact, add, sub, mul, "
                              "min, max, tiers, choose")  # fmt: skip
    ((kind, body),) = raw.items()
    if kind == "amount":
        return Expr("amount", parse_literal(FactType.MONEY, body, f"{path}.amount", None))
    if kind == "number":
        try:
            if isinstance(body, str) and not is_plain_number(body):
                raise InvalidOperation
            number = Decimal(str(body))
            if isinstance(body, float | bool) or not number.is_finite() or abs(number) >= LIMIT:
                raise InvalidOperation
            exact = number == number.quantize(Decimal("0.000001"))
        except InvalidOperation:
            raise RuleError(f"{path}.number", "write numbers as strings such as \"0.05\", "
                                              "finite and below 10^14") from None  # fmt: skip
        if not exact:
            raise RuleError(f"{path}.number", "at most six decimal places")
        return Expr("number", number)
    if kind == "param":
        if not isinstance(body, str) or body not in parameters:
            raise RuleError(path, f"unknown parameter {body!r}")
        parameter = parameters[body]
        if parameter.type not in NUMERIC:
            raise RuleError(path, f"parameter {body!r} is not a number or amount")
        return Expr("param", parameter=parameter)
    if kind == "fact":
        spec = rule_fact(body, beneficiary, path)
        if spec.type not in NUMERIC:
            raise RuleError(path, f"{body} is a {spec.type.value}, not a number")
        return Expr("fact", fact=spec)
    if kind in ("add", "sub", "mul", "min", "max"):
        if not isinstance(body, list) or len(body) < 2 or (kind == "sub" and len(body) != 2):
            raise RuleError(f"{path}.{kind}", "needs a list of operands (sub: exactly two)")
        children = tuple(_parse_expr(child, parameters, f"{path}.{kind}[{i}]", beneficiary)
                         for i, child in enumerate(body))  # fmt: skip
        expr = Expr(kind, children=children)
        result_type(expr, path)
        return expr
    if kind == "tiers":
        return _parse_tiers(body, parameters, f"{path}.tiers", beneficiary)
    if kind == "choose":
        return _parse_choose(body, parameters, f"{path}.choose", beneficiary)
    raise RuleError(path, f"unknown formula element {kind!r}")


def _parse_choose(body: Any, parameters: dict[str, Parameter], path: str,
                  beneficiary: str = ENTERPRISE) -> Expr:  # fmt: skip
    """An amount per value of an enumeration fact, and one for every other value."""
    if not isinstance(body, dict) or not {"fact", "cases", "otherwise"} <= set(body):
        raise RuleError(path, "choose needs a fact, cases (value: amount) and otherwise")
    if set(body) - {"fact", "cases", "otherwise"}:
        raise RuleError(path, "choose takes only fact, cases and otherwise")
    spec = rule_fact(body["fact"], beneficiary, f"{path}.fact")
    if spec.type is not FactType.ENUM:
        raise RuleError(f"{path}.fact", f"{spec.name} is a {spec.type.value}, not one of a "
                                        "list of values (use tiers for numbers)")  # fmt: skip
    raw_cases = body["cases"]
    if not isinstance(raw_cases, dict) or not raw_cases:
        raise RuleError(f"{path}.cases", "needs at least one value and its amount")
    cases = []
    for value, amount in raw_cases.items():
        case_path = f"{path}.cases.{value}"
        if value not in spec.choices:
            raise RuleError(case_path, f"{value!r} is not one of {', '.join(spec.choices)}")
        expr = _parse_expr(amount, parameters, case_path, beneficiary)
        if result_type(expr) is not FactType.MONEY:
            raise RuleError(case_path, "a case's amount must be in yuan")
        cases.append((str(value), expr))
    otherwise = _parse_expr(body["otherwise"], parameters, f"{path}.otherwise", beneficiary)
    if result_type(otherwise) is not FactType.MONEY:
        raise RuleError(f"{path}.otherwise", "the amount otherwise must be in yuan")
    return Expr("choose", fact=spec, cases=tuple(cases), otherwise=otherwise)


def _parse_tiers(body: Any, parameters: dict[str, Parameter], path: str,
                 beneficiary: str = ENTERPRISE) -> Expr:  # fmt: skip
    if not isinstance(body, dict) or "fact" not in body or "bands" not in body:
        raise RuleError(path, "tiers need a fact and a list of bands")
    spec = rule_fact(body["fact"], beneficiary, f"{path}.fact", "numeric fact")
    if spec.type not in NUMERIC:
        raise RuleError(f"{path}.fact", f"{body['fact']!r} is not a numeric fact")
    bands = []
    for index, band in enumerate(body["bands"] if isinstance(body["bands"], list) else []):
        band_path = f"{path}.bands[{index}]"
        if not isinstance(band, dict) or "from" not in band or "amount" not in band:
            raise RuleError(band_path, "a band needs from, amount and optionally to")
        low = parse_literal(spec.type, band["from"], f"{band_path}.from", spec)
        high = (parse_literal(spec.type, band["to"], f"{band_path}.to", spec)
                if band.get("to") is not None else None)  # fmt: skip
        if high is not None and high <= low:
            raise RuleError(band_path, "to must be above from")
        amount = _parse_expr(band["amount"], parameters, f"{band_path}.amount", beneficiary)
        if result_type(amount) is not FactType.MONEY:
            raise RuleError(f"{band_path}.amount", "a band's amount must be in yuan")
        bands.append((Decimal(low), None if high is None else Decimal(high), amount))
    if not bands:
        raise RuleError(f"{path}.bands", "needs at least one band")
    bands.sort(key=lambda band: band[0])
    for (low_a, high_a, _), (low_b, _, _) in pairwise(bands):
        if high_a is None or high_a > low_b:
            raise RuleError(f"{path}.bands", f"bands from {low_a} and from {low_b} overlap")
    return Expr("tiers", fact=spec, tiers=tuple(bands))


def result_type(expr: Expr, path: str = "benefit") -> FactType:
    """MONEY or a plain number (INTEGER stands for any number here)."""
    if expr.kind == "amount":
        return FactType.MONEY
    if expr.kind == "number":
        return FactType.INTEGER
    if expr.kind == "param":
        return FactType.MONEY if expr.parameter.type is FactType.MONEY else FactType.INTEGER
    if expr.kind == "fact":
        return FactType.MONEY if expr.fact.type is FactType.MONEY else FactType.INTEGER
    if expr.kind in ("tiers", "choose"):
        return FactType.MONEY
    kinds = [result_type(child, path) for child in expr.children]
    if expr.kind == "mul":
        if kinds.count(FactType.MONEY) > 1:
            raise RuleError(path, "multiplying two amounts gives yuan², not yuan")
        return FactType.MONEY if FactType.MONEY in kinds else FactType.INTEGER
    if len(set(kinds)) > 1:
        raise RuleError(path, f"{expr.kind} mixes amounts and plain numbers")
    return kinds[0]


def formula_facts(expr: Expr) -> list[FactSpec]:
    found = [expr.fact] if expr.fact is not None else []
    for child in expr.children:
        found += formula_facts(child)
    for _low, _high, amount in expr.tiers:
        found += formula_facts(amount)
    for _value, amount in expr.cases:
        found += formula_facts(amount)
    if expr.otherwise is not None:
        found += formula_facts(expr.otherwise)
    return found
