"""The rule language: eligibility criteria and benefit formulas as data.

A closed vocabulary, checked when a rule is saved and evaluated through dispatch tables
(never `eval`). Criteria combine with `all` / `any` / `not`; a leaf compares one fact from
the hub's catalogue with a literal or a dated parameter. Logic is three-valued: a leaf whose
fact is unknown is *unknown*, and unknown never turns into a denial on its own.

    {"all": [
      {"id": "staff", "label": {"zh": "参保人数不少于 10 人", "en": "At least 10 insured"},
       "clause": "第三条第一款", "fact": "hrss.insured_employees", "op": "ge",
       "value": {"param": "min_staff"}},
      {"id": "no-arrears", "label": {...}, "clause": "第三条第二款",
       "fact": "tax.arrears", "op": "eq", "value": "0.00"}]}

Benefit formulas use the same operands plus arithmetic (`add`, `sub`, `mul`), `min`/`max`,
`tiers` (bands of a numeric fact) and `choose` (an amount per value of an enumeration, e.g.
the talent catalogue level: {"choose": {"fact": …, "cases": {"A": {"amount": "1000.00"}},
"otherwise": {"amount": "500.00"}}}). Every product is rounded to the fen with the version's
rounding rule, so the single and the batch evaluation give the same fen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from datahub.facttypes import FactType
from qinqing.guard import is_plain_number

# The rules name facts of the hub's catalogue. Outside Django (tools/verify.py loads this
# file and engine.py by path, with datahub/facttypes.py and qinqing/guard.py) the catalogue
# is not importable: the caller sets CATALOGUE to the facts it has (a receipt carries each
# fact's name, type, department and choices).
try:
    from datahub.catalogue import CATALOGUE, PERSON_CATALOGUE, FactSpec
except ModuleNotFoundError as missing:  # pragma: no cover - exercised by tools/verify.py
    if (missing.name or "").split(".")[0] not in ("django", "datahub", "enterprises"):
        raise
    CATALOGUE: dict[str, Any] = {}  # type: ignore[no-redef]
    PERSON_CATALOGUE: dict[str, Any] = {}  # type: ignore[no-redef]
    FactSpec = Any  # type: ignore[misc,assignment]

# Who a version pays (policies.models.Beneficiary, repeated here: no Django in this file). A
# version for persons names person facts (PERSON_CATALOGUE, "person.…") and its employer's
# enterprise facts (CATALOGUE); a version for enterprises names enterprise facts only.
ENTERPRISE, PERSON = "enterprise", "person"
BENEFICIARIES = (ENTERPRISE, PERSON)

FEN = Decimal("0.01")
ROUNDING = {"half_up": ROUND_HALF_UP, "down": ROUND_DOWN}
OPERATOR_ALIASES = {"=": "eq", "==": "eq", "≠": "ne", "!=": "ne", "<": "lt", "≤": "le",
                    "<=": "le", ">": "gt", "≥": "ge", ">=": "ge"}  # fmt: skip
ORDERED_TYPES = {FactType.MONEY, FactType.DECIMAL, FactType.INTEGER, FactType.DATE}
OPERATORS_BY_TYPE = {
    **{t: {"eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in", "known"}
       for t in ORDERED_TYPES},
    FactType.BOOLEAN: {"eq", "ne", "is_true", "is_false", "known"},
    FactType.ENUM: {"eq", "ne", "in", "not_in", "known"},
}  # fmt: skip
NO_OPERAND = {"is_true", "is_false", "known"}
NUMERIC = {FactType.MONEY, FactType.DECIMAL, FactType.INTEGER}
# Literals stay below 10^14 (MoneyField's range), so batch products cannot explode.
LIMIT = Decimal(10) ** 14
# Rule size: the parser, the evaluators and the pages walk rules recursively, and a rule is
# read by people. Real policies nest criteria 2–4 levels and name a few dozen criteria; a
# draft 500 levels deep or with 20,000 leaves is refused, naming where (issue #19).
MAX_CRITERIA_DEPTH = 12  # groups and criteria, from the top
MAX_CRITERIA_NODES = 500  # groups and criteria together
MAX_FORMULA_DEPTH = 16  # formula elements, from the top
MAX_FORMULA_NODES = 500


def fact_spec(name: str):
    """The catalogue entry of a fact, enterprise or person (None when neither declares it)."""
    return CATALOGUE.get(name) or PERSON_CATALOGUE.get(name)


def is_person_fact(name: str) -> bool:
    return name in PERSON_CATALOGUE and name not in CATALOGUE


class RuleError(ValueError):
    """A rule that cannot be accepted, with the path to the offending part."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


# --- Parameters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DatedValue:
    starts: date
    value: Any
    reference: str


@dataclass(frozen=True)
class Parameter:
    """A threshold or amount that changes on dates, each value with its legal reference."""

    name: str
    type: FactType
    values: tuple[DatedValue, ...]  # sorted by start date

    def at(self, when: date) -> Any:
        current = None
        for dated in self.values:
            if dated.starts <= when:
                current = dated
        if current is None:
            raise RuleError(f"parameters.{self.name}", f"has no value on {when.isoformat()}")
        return current.value


def parse_parameters(raw: Any) -> dict[str, Parameter]:
    if raw in (None, {}):
        return {}
    if not isinstance(raw, dict):
        raise RuleError("parameters", "must be an object of named parameters")
    parameters = {}
    for name, body in raw.items():
        path = f"parameters.{name}"
        if not isinstance(body, dict) or "type" not in body or "values" not in body:
            raise RuleError(path, "needs a type and a list of dated values")
        try:
            kind = FactType(body["type"])
        except (ValueError, TypeError):
            raise RuleError(f"{path}.type", f"unknown type {body['type']!r}") from None
        if not isinstance(body["values"], list) or not body["values"]:
            raise RuleError(f"{path}.values", "needs at least one dated value")
        values = []
        for index, item in enumerate(body["values"]):
            item_path = f"{path}.values[{index}]"
            if not isinstance(item, dict) or not {"from", "value", "reference"} <= set(item):
                raise RuleError(item_path, "needs from (a date), value and reference")
            if not str(item["reference"]).strip():
                raise RuleError(f"{item_path}.reference", "cite the clause this value comes from")
            starts = _parse_literal(FactType.DATE, item["from"], f"{item_path}.from", None)
            values.append(DatedValue(starts, _parse_literal(kind, item["value"],
                                                            f"{item_path}.value", None),
                                     str(item["reference"])))  # fmt: skip
        values.sort(key=lambda dated: dated.starts)
        if len({dated.starts for dated in values}) != len(values):
            raise RuleError(f"{path}.values", "two values start on the same date")
        parameters[name] = Parameter(name, kind, tuple(values))
    return parameters


# --- Literals ------------------------------------------------------------------------------


def _read_loosely(text: str) -> bool:
    """Text Python reads as a number though it is not written as a plain decimal."""
    if is_plain_number(text):
        return False
    try:
        Decimal(text.strip())
    except InvalidOperation:
        return False  # not a number at all: the type's own message says so
    return True


def _parse_literal(kind: FactType, raw: Any, path: str, spec: FactSpec | None) -> Any:
    if kind in NUMERIC and isinstance(raw, str) and _read_loosely(raw):
        # Decimal and int read "1_000" as 1000 and "1e3" as 1000: a typo, not an amount.
        raise RuleError(path, 'write numbers with digits and one decimal point, such as '
                              '"1000.00" (no underscores or exponents)')  # fmt: skip
    try:
        if kind is FactType.MONEY:
            if isinstance(raw, float | bool):
                raise RuleError(path, 'write amounts as strings such as "1000.00", not floats')
            value = Decimal(str(raw))
            if not value.is_finite() or abs(value) >= LIMIT:
                raise RuleError(path, "an amount must be finite and below 10^14 yuan")
            if value != value.quantize(FEN):
                raise RuleError(path, "an amount has at most two decimal places (fen)")
            return value.quantize(FEN)
        if kind is FactType.DECIMAL:
            if isinstance(raw, float | bool):
                raise RuleError(path, 'write quantities as strings such as "120.5"')
            value = Decimal(str(raw))
            if not value.is_finite() or abs(value) >= LIMIT:
                raise RuleError(path, "a quantity must be finite and below 10^14")
            if value != value.quantize(Decimal("0.1")):
                raise RuleError(path, "a quantity has at most one decimal place")
            return value
        if kind is FactType.INTEGER:
            if isinstance(raw, bool) or not isinstance(raw, int | str):
                raise RuleError(path, "expected a whole number")
            value = int(raw)
            if abs(value) >= LIMIT:
                raise RuleError(path, "a whole number must be below 10^14")
            return value
        if kind is FactType.DATE:
            if isinstance(raw, date):
                return raw
            if not isinstance(raw, str):
                raise RuleError(path, "expected a date such as 2026-01-01")
            return date.fromisoformat(raw)
        if kind is FactType.BOOLEAN:
            if not isinstance(raw, bool):
                raise RuleError(path, "expected true or false")
            return raw
        if kind is FactType.ENUM:
            if not isinstance(raw, str):
                raise RuleError(path, "expected a text value")
            if spec is not None and raw not in spec.choices:
                raise RuleError(path, f"expected one of {', '.join(spec.choices)}")
            return str(raw)
    except RuleError:
        raise
    except (ValueError, TypeError, InvalidOperation):
        raise RuleError(path, f"{raw!r} is not of type {kind.value}") from None
    raise RuleError(path, f"unsupported type {kind}")


# --- Criteria ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operand:
    """A literal or a parameter, resolved for a given date by `value_at`."""

    literal: Any = None
    parameter: Parameter | None = None

    def value_at(self, when: date) -> Any:
        return self.parameter.at(when) if self.parameter else self.literal

    def describe(self) -> Any:
        return {"param": self.parameter.name} if self.parameter else self.literal


@dataclass(frozen=True)
class Leaf:
    id: str
    label: dict[str, str]
    clause: str
    fact: FactSpec
    op: str
    operands: tuple[Operand, ...] = ()
    inclusive: tuple[bool, bool] = (True, True)
    path: str = ""


@dataclass(frozen=True)
class Group:
    kind: str  # all / any / not
    children: tuple[Leaf | Group, ...]
    id: str = ""
    label: dict[str, str] = field(default_factory=dict)


Node = Leaf | Group


def _criteria_children(raw: Any, path: str) -> list[tuple[Any, str]]:
    if not isinstance(raw, dict):
        return []
    for kind in ("all", "any"):
        if kind in raw and isinstance(raw[kind], list):
            return [(child, f"{path}.{kind}[{i}]") for i, child in enumerate(raw[kind])]
    if "not" in raw:
        return [(raw["not"], f"{path}.not")]
    return []


def _formula_children(raw: Any, path: str) -> list[tuple[Any, str]]:
    """Every object inside a formula element (operands, tiers' bands and amounts)."""
    found: list[tuple[Any, str]] = []
    pending: list[tuple[Any, str]] = [(raw, path)]
    first = True
    while pending:
        value, where = pending.pop()
        if isinstance(value, dict) and not first:
            found.append((value, where))
            continue
        first = False
        items = value.items() if isinstance(value, dict) else (
            enumerate(value) if isinstance(value, list) else ())  # fmt: skip
        for key, child in items:
            if isinstance(child, (dict, list)):
                pending.append((child, f"{where}[{key}]" if isinstance(key, int)
                                else f"{where}.{key}"))  # fmt: skip
    return found


def check_size(raw: Any, path: str, *, kind: str = "criteria") -> None:
    """Refuse a rule deeper or larger than the limits, naming the first part beyond them;
    iterative, so that no depth of input can make it recurse."""
    children, max_depth, max_nodes = (
        (_criteria_children, MAX_CRITERIA_DEPTH, MAX_CRITERIA_NODES) if kind == "criteria"
        else (_formula_children, MAX_FORMULA_DEPTH, MAX_FORMULA_NODES))  # fmt: skip
    stack: list[tuple[Any, str, int]] = [(raw, path, 1)]
    count = 0
    while stack:
        node, where, depth = stack.pop()
        count += 1
        if depth > max_depth:
            raise RuleError(where, f"nested too deeply: at most {max_depth} levels")
        if count > max_nodes:
            raise RuleError(path, f"too large: at most {max_nodes} parts in all")
        stack.extend((child, child_path, depth + 1)
                     for child, child_path in reversed(children(node, where)))  # fmt: skip


def parse_criteria(raw: Any, parameters: dict[str, Parameter], path: str = "criteria", *,
                   beneficiary: str = ENTERPRISE) -> Node:  # fmt: skip
    check_size(raw, path)
    ids: set[str] = set()
    return _parse_node(raw, parameters, path, ids, beneficiary)


def _fact(name: Any, beneficiary: str, path: str, what: str = "fact") -> FactSpec:
    """The fact a rule names: an enterprise fact, or for a version paid to persons also a
    person fact; a person fact in an enterprise's version is refused, naming where."""
    spec = fact_spec(name) if isinstance(name, str) else None
    if spec is None:
        raise RuleError(path, f"unknown {what} {name!r}")
    if is_person_fact(name) and beneficiary != PERSON:
        raise RuleError(path, f"{name} is a fact about a person: only a version paid to "
                              "persons (beneficiary person) may name it")  # fmt: skip
    if spec.type is FactType.TEXT:
        raise RuleError(path, f"{name} is an identifier (text), which a rule cannot compare")
    return spec


def _parse_node(raw: Any, parameters: dict[str, Parameter], path: str, ids: set[str],
                beneficiary: str = ENTERPRISE) -> Node:  # fmt: skip
    if not isinstance(raw, dict):
        raise RuleError(path, "expected an object: a criterion or all/any/not")
    for kind in ("all", "any"):
        if kind in raw:
            children = raw[kind]
            if not isinstance(children, list) or not children:
                raise RuleError(f"{path}.{kind}", "needs a non-empty list")
            return Group(kind, tuple(_parse_node(child, parameters, f"{path}.{kind}[{i}]", ids,
                                                 beneficiary)
                                     for i, child in enumerate(children)),
                         str(raw.get("id", "")), _label(raw, path, required=False))  # fmt: skip
    if "not" in raw:
        return Group("not", (_parse_node(raw["not"], parameters, f"{path}.not", ids,
                                         beneficiary),),
                     str(raw.get("id", "")), _label(raw, path, required=False))  # fmt: skip
    return _parse_leaf(raw, parameters, path, ids, beneficiary)


def _label(raw: dict, path: str, *, required: bool) -> dict[str, str]:
    label = raw.get("label")
    if label is None and not required:
        return {}
    if (
        not isinstance(label, dict)
        or not str(label.get("zh", "")).strip()
        or not str(label.get("en", "")).strip()
    ):
        raise RuleError(f"{path}.label", "needs a label in Chinese (zh) and English (en)")
    return {"zh": str(label["zh"]), "en": str(label["en"])}


def _parse_leaf(raw: dict, parameters: dict[str, Parameter], path: str, ids: set[str],
                beneficiary: str = ENTERPRISE) -> Leaf:  # fmt: skip
    criterion_id = str(raw.get("id", "")).strip()
    if not criterion_id:
        raise RuleError(f"{path}.id", "every criterion needs an id")
    if criterion_id in ids:
        raise RuleError(f"{path}.id", f"the id {criterion_id!r} is used twice")
    ids.add(criterion_id)
    label = _label(raw, path, required=True)
    clause = str(raw.get("clause", "")).strip()
    if not clause:
        raise RuleError(f"{path}.clause", "name the clause this criterion implements")
    spec = _fact(raw.get("fact"), beneficiary, f"{path}.fact")
    raw_op = raw.get("op")
    if not isinstance(raw_op, str):
        raise RuleError(f"{path}.op", "name an operator, e.g. ge")
    op = OPERATOR_ALIASES.get(raw_op, raw_op)
    if op not in OPERATORS_BY_TYPE[spec.type]:
        allowed = ", ".join(sorted(OPERATORS_BY_TYPE[spec.type]))
        raise RuleError(f"{path}.op", f"{op!r} does not apply to a {spec.type.value} "
                                      f"fact; use one of {allowed}")  # fmt: skip
    if op in NO_OPERAND:
        if "value" in raw:
            raise RuleError(f"{path}.value", f"{op} takes no value")
        return Leaf(criterion_id, label, clause, spec, op, path=path)
    if "value" not in raw:
        raise RuleError(f"{path}.value", f"{op} needs a value")
    value = raw["value"]
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise RuleError(f"{path}.value", f"{op} needs a non-empty list")
        operands = tuple(_operand(item, spec, parameters, f"{path}.value[{i}]")
                         for i, item in enumerate(value))  # fmt: skip
        return Leaf(criterion_id, label, clause, spec, op, operands, path=path)
    if op == "between":
        if not isinstance(value, dict) or not {"from", "to"} <= set(value):
            raise RuleError(f"{path}.value", "between needs from and to")
        inclusive = value.get("inclusive", [True, True])
        if (not isinstance(inclusive, list) or len(inclusive) != 2
                or not all(isinstance(flag, bool) for flag in inclusive)):  # fmt: skip
            raise RuleError(f"{path}.value.inclusive", "give [true/false, true/false]")
        operands = (_operand(value["from"], spec, parameters, f"{path}.value.from"),
                    _operand(value["to"], spec, parameters, f"{path}.value.to"))  # fmt: skip
        if (
            not operands[0].parameter
            and not operands[1].parameter
            and (operands[0].literal > operands[1].literal)
        ):
            raise RuleError(f"{path}.value", "from is after to: nothing could match")
        return Leaf(criterion_id, label, clause, spec, op, operands, tuple(inclusive), path)
    return Leaf(criterion_id, label, clause, spec, op,
                (_operand(value, spec, parameters, f"{path}.value"),), path=path)  # fmt: skip


def _operand(raw: Any, spec: FactSpec, parameters: dict[str, Parameter], path: str) -> Operand:
    if isinstance(raw, dict):
        if set(raw) != {"param"}:
            raise RuleError(path, 'an operand is a literal or {"param": name}')
        name = raw["param"]
        if not isinstance(name, str) or name not in parameters:
            raise RuleError(path, f"unknown parameter {name!r}")
        parameter = parameters[name]
        if parameter.type is not spec.type:
            raise RuleError(path, f"parameter {name!r} is a {parameter.type.value} but "
                                  f"{spec.name} is a {spec.type.value}")  # fmt: skip
        if spec.type is FactType.ENUM:
            for dated in parameter.values:
                if dated.value not in spec.choices:
                    raise RuleError(f"parameters.{name}", f"{dated.value!r} is not one of "
                                                          f"{', '.join(spec.choices)}")  # fmt: skip
        return Operand(parameter=parameter)
    return Operand(literal=_parse_literal(spec.type, raw, path, spec))


def leaves(node: Node) -> list[Leaf]:
    if isinstance(node, Leaf):
        return [node]
    return [leaf for child in node.children for leaf in leaves(child)]


# --- Benefit formulas -------------------------------------------------------------------------


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
        return Expr("amount", _parse_literal(FactType.MONEY, body, f"{path}.amount", None))
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
        spec = _fact(body, beneficiary, path)
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
    spec = _fact(body["fact"], beneficiary, f"{path}.fact")
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
    spec = _fact(body["fact"], beneficiary, f"{path}.fact", "numeric fact")
    if spec.type not in NUMERIC:
        raise RuleError(f"{path}.fact", f"{body['fact']!r} is not a numeric fact")
    bands = []
    for index, band in enumerate(body["bands"] if isinstance(body["bands"], list) else []):
        band_path = f"{path}.bands[{index}]"
        if not isinstance(band, dict) or "from" not in band or "amount" not in band:
            raise RuleError(band_path, "a band needs from, amount and optionally to")
        low = _parse_literal(spec.type, band["from"], f"{band_path}.from", spec)
        high = (_parse_literal(spec.type, band["to"], f"{band_path}.to", spec)
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


# --- A whole version's rules ---------------------------------------------------------------


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
