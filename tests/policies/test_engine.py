"""Single evaluation: each operator and type, unknown handling, rounding, dated parameters
switching on their date, and a complete explanation."""

from datetime import date
from decimal import Decimal

import pytest

from policies.engine import ELIGIBLE, INELIGIBLE, UNKNOWN, evaluate
from policies.rules.ruleset import parse_rules

from .rulesets import BENEFIT, CRITERIA, LABEL, PARAMETERS

AS_OF = date(2026, 11, 27)
GOOD = {
    "hrss.insured_employees": 120, "market.registration_status": "active",
    "tax.arrears": Decimal("0.00"), "market.abnormal_operations": False,
    "market.established_on": date(2018, 3, 1), "tax.credit_grade": "B",
    "tax.annual_revenue": Decimal("1000000.00"), "housing.leased_floor_area": Decimal("300.0"),
    "hrss.new_hires_this_year": 12, "tax.tax_paid": Decimal("123456.78"),
}  # fmt: skip


def sample(rounding="half_up"):
    return parse_rules(criteria=CRITERIA, benefit=BENEFIT, parameters=PARAMETERS,
                       rounding=rounding)  # fmt: skip


def one(fact, op, value=None, **extra):
    criterion = {"id": "c", "label": LABEL, "clause": "§1", "fact": fact, "op": op, **extra}
    if value is not None:
        criterion["value"] = value
    return parse_rules(criteria=criterion, benefit={"amount": "1.00"}, parameters={})


def verdict(rules, value, fact):
    return evaluate(rules, {fact: value}, AS_OF).criteria[0].result


@pytest.mark.parametrize(
    ("fact", "op", "threshold", "value", "expected"),
    [
        ("hrss.insured_employees", "eq", 10, 10, True),
        ("hrss.insured_employees", "ne", 10, 10, False),
        ("hrss.insured_employees", "lt", 10, 9, True),
        ("hrss.insured_employees", "lt", 10, 10, False),
        ("hrss.insured_employees", "le", 10, 10, True),
        ("hrss.insured_employees", "gt", 10, 10, False),
        ("hrss.insured_employees", "ge", 10, 10, True),
        ("hrss.insured_employees", "in", [1, 10], 10, True),
        ("hrss.insured_employees", "not_in", [1, 10], 10, False),
        ("tax.arrears", "eq", "0.00", Decimal("0.00"), True),
        ("tax.arrears", "gt", "0.00", Decimal("0.01"), True),
        ("tax.arrears", "le", "1000.00", Decimal("1000.01"), False),
        ("housing.leased_floor_area", "ge", "99.5", Decimal("99.5"), True),
        ("housing.leased_floor_area", "ge", "99.5", Decimal("99.4"), False),
        ("market.established_on", "lt", "2020-01-01", date(2019, 12, 31), True),
        ("market.established_on", "ge", "2020-01-01", date(2019, 12, 31), False),
        ("market.registration_status", "eq", "active", "active", True),
        ("market.registration_status", "in", ["revoked", "deregistered"], "active", False),
        ("market.registration_status", "not_in", ["revoked"], "active", True),
        ("market.abnormal_operations", "eq", True, True, True),
        ("market.abnormal_operations", "ne", True, True, False),
    ],
)
def test_each_operator_on_each_type(fact, op, threshold, value, expected):
    assert verdict(one(fact, op, threshold), value, fact) is expected


@pytest.mark.parametrize(
    ("inclusive", "value", "expected"),
    [([True, True], 10, True), ([False, True], 10, False), ([True, True], 20, True),
     ([True, False], 20, False), ([True, True], 21, False), ([False, False], 15, True)],
)  # fmt: skip
def test_between_with_explicit_bounds(inclusive, value, expected):
    rules = one("hrss.insured_employees", "between",
                {"from": 10, "to": 20, "inclusive": inclusive})  # fmt: skip
    assert verdict(rules, value, "hrss.insured_employees") is expected


def test_is_true_is_false_and_known():
    fact = "market.abnormal_operations"
    assert verdict(one(fact, "is_true"), True, fact) is True
    assert verdict(one(fact, "is_false"), True, fact) is False
    assert verdict(one(fact, "known"), False, fact) is True
    assert verdict(one(fact, "known"), None, fact) is False  # known is never unknown
    assert verdict(one(fact, "is_true"), None, fact) is None


def test_the_sample_enterprise_is_eligible_with_every_reason_explained():
    outcome = evaluate(sample(), GOOD, AS_OF)
    assert outcome.status == ELIGIBLE
    assert [c.id for c in outcome.criteria] == [
        "staff", "active", "no-arrears", "not-abnormal", "young", "grade", "revenue",
        "tiny-area"]  # fmt: skip
    staff = outcome.criteria[0]
    assert (staff.value, staff.op, staff.threshold, staff.result) == (120, "ge", 10, True)
    assert staff.clause == "第三条第一款" and staff.department == "hrss"
    # 12 hires × 1000 + 20000 (band 50-200) + 123456.78 × 0.035 = 4320.9873 -> 4320.99
    assert outcome.amount == Decimal("36320.99")


def test_rounding_rule_is_applied_to_each_product():
    assert evaluate(sample("down"), GOOD, AS_OF).amount == Decimal("36320.98")


def test_one_failed_criterion_makes_it_ineligible_and_all_are_still_explained():
    outcome = evaluate(sample(), {**GOOD, "tax.arrears": Decimal("0.01")}, AS_OF)
    assert outcome.status == INELIGIBLE and outcome.amount is None
    assert len(outcome.criteria) == 8
    # Leaf results: revenue is false inside an `any` that grade satisfies, the small-area
    # leaf is false inside a `not`; only no-arrears decides.
    assert [c.id for c in outcome.criteria if c.result is False] == [
        "no-arrears",
        "revenue",
        "tiny-area",
    ]
    assert evaluate(sample(), GOOD, AS_OF).status == ELIGIBLE


def test_an_unknown_fact_is_never_a_denial():
    outcome = evaluate(sample(), {**GOOD, "hrss.insured_employees": None}, AS_OF)
    assert outcome.status == UNKNOWN
    assert outcome.criteria[0].result is None


def test_a_known_failure_decides_even_when_another_fact_is_unknown():
    facts = {**GOOD, "hrss.insured_employees": None, "tax.arrears": Decimal("5.00")}
    assert evaluate(sample(), facts, AS_OF).status == INELIGIBLE


def test_any_is_satisfied_by_one_known_true_despite_an_unknown():
    facts = {**GOOD, "tax.credit_grade": None}  # revenue alone satisfies the any
    facts["tax.annual_revenue"] = Decimal("6000000.00")
    assert evaluate(sample(), facts, AS_OF).status == ELIGIBLE


def test_an_unknown_fact_in_the_formula_makes_the_amount_unknown():
    outcome = evaluate(sample(), {**GOOD, "tax.tax_paid": None}, AS_OF)
    assert outcome.status == UNKNOWN and outcome.amount is None


def test_dated_parameters_switch_on_their_date():
    facts = {**GOOD, "hrss.insured_employees": 15}
    assert evaluate(sample(), facts, date(2026, 12, 31)).criteria[0].threshold == 10
    assert evaluate(sample(), facts, date(2026, 12, 31)).status == ELIGIBLE
    late = evaluate(sample(), facts, date(2027, 1, 1))
    assert late.criteria[0].threshold == 20 and late.status == INELIGIBLE


def test_the_amount_is_capped_and_never_negative():
    big = {**GOOD, "hrss.new_hires_this_year": 5000}
    assert evaluate(sample(), big, AS_OF).amount == Decimal("300000.00")  # the min in BENEFIT
    assert evaluate(sample(), GOOD, AS_OF, cap=Decimal("1000.00")).amount == Decimal("1000.00")
    negative = parse_rules(criteria=CRITERIA, parameters=PARAMETERS,
                           benefit={"sub": [{"amount": "1.00"}, {"amount": "5.00"}]})  # fmt: skip
    assert evaluate(negative, GOOD, AS_OF).amount == Decimal("0.00")


def test_tiers_pick_the_band_by_lower_bound_inclusive_upper_exclusive():
    for staff, band in (
        (49, Decimal("0")),
        (50, Decimal("20000")),
        (199, Decimal("20000")),
        (200, Decimal("20000.00")),
    ):  # 200 × 100.00 = 20000.00
        facts = {**GOOD, "hrss.insured_employees": staff, "hrss.new_hires_this_year": 0,
                 "tax.tax_paid": Decimal("0.00")}  # fmt: skip
        assert evaluate(sample(), facts, AS_OF).amount == band, staff


def test_the_explanation_says_which_criteria_count_for_the_enterprise():
    """Under `not`, a false comparison is good news; inside `any`, one branch suffices."""
    outcome = evaluate(sample(), GOOD, AS_OF)
    by_id = {criterion.id: criterion for criterion in outcome.criteria}
    tiny = by_id["tiny-area"]  # "not: area < 50" with 300 m²
    assert tiny.result is False and tiny.negated and tiny.met is True
    revenue = by_id["revenue"]  # the losing branch of an any
    assert revenue.alternative and revenue.met is False
    assert by_id["grade"].alternative and by_id["grade"].met is True
    assert not by_id["staff"].alternative and by_id["staff"].met is True
