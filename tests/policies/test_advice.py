"""Near-miss advice derived from the rules: the smallest change of one fact for each failed
criterion, inside `all`, `any` and `not`, and a plain "cannot say" where none exists."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from policies import advice
from policies.advice import advise
from policies.engine import evaluate
from policies.rules.ruleset import parse_rules
from policies.wording import advice_as_json, advice_by_criterion, requirement_text

ON = date(2026, 11, 27)
LABEL = {"zh": "条件", "en": "condition"}


def leaf(criterion_id: str, fact: str, op: str, value=None, **extra) -> dict:
    raw = {"id": criterion_id, "label": LABEL, "clause": "第三条", "fact": fact, "op": op}
    if value is not None:
        raw["value"] = value
    return {**raw, **extra}


def advice_for(criteria: dict, facts: dict, parameters: dict | None = None):
    rules = parse_rules(
        criteria=criteria, benefit={"amount": "100.00"}, parameters=parameters or {}
    )
    outcome = evaluate(rules, facts, ON)
    return outcome, advise(rules, outcome.criteria, ON, outcome.status)


def only_change(requirements) -> advice.Change:
    (requirement,) = requirements
    (change,) = requirement.options
    return change


STAFF = "hrss.insured_employees"


@pytest.mark.parametrize(
    ("op", "threshold", "current", "want_op", "needed"),
    [
        ("ge", 10, 6, "ge", 10),
        ("gt", 10, 6, "ge", 11),  # more than 10 persons: at least 11
        ("le", 10, 14, "le", 10),
        ("lt", 10, 14, "le", 9),
        ("eq", 10, 6, "eq", 10),
        ("ne", 10, 10, "ne", 10),
    ],
)
def test_a_numeric_criterion_names_the_smallest_value_that_would_do(
    op, threshold, current, want_op, needed
):
    _outcome, found = advice_for({"all": [leaf("staff", STAFF, op, threshold)]}, {STAFF: current})
    change = only_change(found)
    assert (change.criterion, change.fact, change.current) == ("staff", STAFF, current)
    assert (change.op, change.needed) == (want_op, needed)


def test_money_strictly_above_moves_by_one_fen_and_a_parameter_is_read_on_the_day():
    params = {
        "floor": {
            "type": "money",
            "values": [{"from": "2026-01-01", "value": "1000.00", "reference": "第三条"}],
        }
    }
    criteria = {"all": [leaf("revenue", "tax.annual_revenue", "gt", {"param": "floor"})]}
    _outcome, found = advice_for(criteria, {"tax.annual_revenue": Decimal("900.00")}, params)
    change = only_change(found)
    assert (change.op, change.needed) == ("ge", Decimal("1000.01"))


def test_the_words_reuse_the_facts_units_and_say_you_would_qualify():
    _outcome, found = advice_for({"all": [leaf("staff", STAFF, "ge", 10)]}, {STAFF: 6})
    with translation.override("en"):
        text = requirement_text(found[0], only=True)
    assert text == (
        "If “Employees insured, this month” were at least 10 persons, you would "
        "qualify; it is 6 persons now."
    )
    with translation.override("zh-hans"):
        text = requirement_text(found[0], only=True)
    assert "本月参保人数" in text and "10 人" in text and "6 人" in text


def test_a_date_reads_on_or_before_and_strict_dates_move_by_a_day():
    fact = "market.established_on"
    criteria = {"all": [leaf("founded", fact, "lt", "2024-01-01")]}
    _outcome, found = advice_for(criteria, {fact: date(2025, 3, 1)})
    change = only_change(found)
    assert (change.op, change.needed) == ("le", date(2023, 12, 31))
    with translation.override("en"):
        text = requirement_text(found[0])
    assert "on or before 2023-12-31" in text and "2025-03-01" in text


def test_a_category_lists_the_values_that_would_do_by_name_not_code():
    fact = "market.registration_status"
    criteria = {
        "all": [
            leaf("status", fact, "in", ["active"]),
            leaf("land", "planning.land_use_type", "not_in", ["commercial", "mixed"]),
        ]
    }
    _outcome, found = advice_for(criteria, {fact: "revoked", "planning.land_use_type": "mixed"})
    status, land = (requirement.options[0] for requirement in found)
    assert (status.op, status.needed) == ("eq", "active")
    assert land.op == "in" and "mixed" not in land.needed and "industrial" in land.needed
    with translation.override("en"):
        words = advice_by_criterion(found)
    assert "active" in words["status"][0] and "revoked" in words["status"][0]
    assert "industrial land" in words["land"][0]


def test_a_boolean_names_the_value_needed():
    fact = "market.abnormal_operations"
    _outcome, found = advice_for({"all": [leaf("clean", fact, "is_false")]}, {fact: True})
    change = only_change(found)
    assert (change.op, change.needed, change.current) == ("eq", False, True)
    with translation.override("en"):
        assert "were No" in requirement_text(found[0]) and "it is Yes now" in requirement_text(
            found[0]
        )


def test_all_gives_one_requirement_per_failed_criterion_and_none_for_met_ones():
    criteria = {
        "all": [
            leaf("staff", STAFF, "ge", 10),
            leaf("revenue", "tax.annual_revenue", "ge", "1000.00"),
            leaf("months", "hrss.continuous_contribution_months", "ge", 12),
        ]
    }
    facts = {
        STAFF: 6,
        "tax.annual_revenue": Decimal("5000.00"),
        "hrss.continuous_contribution_months": 3,
    }
    outcome, found = advice_for(criteria, facts)
    assert outcome.status == "ineligible"
    assert [requirement.criteria for requirement in found] == [("staff",), ("months",)]
    with translation.override("en"):
        words = advice_by_criterion(found)
    assert set(words) == {"staff", "months"}
    assert "you would meet this criterion" in words["staff"][0]


def test_any_lists_each_single_change_that_would_turn_the_group_nearest_first():
    criteria = {
        "any": [
            leaf("staff", STAFF, "ge", 10),
            leaf("revenue", "tax.annual_revenue", "ge", "1000000.00"),
            {
                "all": [
                    leaf("lease", "housing.lease_registered", "is_true"),
                    leaf("area", "housing.leased_floor_area", "ge", "100.0"),
                ]
            },
        ]
    }
    facts = {
        STAFF: 9,
        "tax.annual_revenue": Decimal("10.00"),
        "housing.lease_registered": False,
        "housing.leased_floor_area": Decimal("50.0"),
    }
    _outcome, found = advice_for(criteria, facts)
    (requirement,) = found
    # The lease branch needs two changes: not a single-change option.
    assert [option.criterion for option in requirement.options] == ["staff", "revenue"]
    assert set(requirement.criteria) == {"staff", "revenue", "lease", "area"}
    with translation.override("en"):
        assert requirement_text(requirement, only=True).startswith("Any one of these would do")


def test_any_where_no_single_change_suffices_says_so():
    criteria = {
        "any": [
            {
                "all": [
                    leaf("staff", STAFF, "ge", 10),
                    leaf("months", "hrss.continuous_contribution_months", "ge", 12),
                ]
            },
            {
                "all": [
                    leaf("lease", "housing.lease_registered", "is_true"),
                    leaf("area", "housing.leased_floor_area", "ge", "100.0"),
                ]
            },
        ]
    }
    facts = {
        STAFF: 1,
        "hrss.continuous_contribution_months": 1,
        "housing.lease_registered": False,
        "housing.leased_floor_area": Decimal("5.0"),
    }
    _outcome, found = advice_for(criteria, facts)
    (requirement,) = found
    assert not requirement.possible and requirement.reason == advice.SEVERAL_CHANGES
    with translation.override("en"):
        assert "No single change" in requirement_text(requirement)


def test_not_negates_the_inner_comparison():
    criteria = {
        "all": [
            {"not": leaf("black", "credit.black_list", "is_true")},
            {"not": leaf("small", STAFF, "lt", 5)},
            {"not": leaf("grade", "tax.credit_grade", "in", ["C", "D"])},
        ]
    }
    facts = {"credit.black_list": True, STAFF: 3, "tax.credit_grade": "D"}
    _outcome, found = advice_for(criteria, facts)
    black, small, grade = (requirement.options[0] for requirement in found)
    assert (black.op, black.needed) == ("eq", False)
    assert (small.op, small.needed) == ("ge", 5)  # not (staff < 5): at least 5
    assert grade.op == "in" and set(grade.needed) == {"A", "B", "M"}


def test_not_over_any_needs_every_branch_false_and_not_over_all_any_one():
    criteria = {
        "all": [
            {
                "not": {
                    "any": [
                        leaf("arrears", "tax.arrears", "gt", "0.00"),
                        leaf("abnormal", "market.abnormal_operations", "is_true"),
                    ]
                }
            },
            {
                "not": {
                    "all": [leaf("red", "credit.red_list", "is_false"), leaf("few", STAFF, "le", 3)]
                }
            },
        ]
    }
    facts = {
        "tax.arrears": Decimal("50.00"),
        "market.abnormal_operations": True,
        "credit.red_list": False,
        STAFF: 2,
    }
    _outcome, found = advice_for(criteria, facts)
    arrears, abnormal, either = found
    assert (arrears.options[0].op, arrears.options[0].needed) == ("le", Decimal("0.00"))
    assert (abnormal.options[0].op, abnormal.options[0].needed) == ("eq", False)
    # "Not (not on the red list and at most 3 staff)": on the red list, or at least 4 staff.
    assert {(option.criterion, option.op, option.needed) for option in either.options} == {
        ("red", "eq", True),
        ("few", "ge", 4),
    }


def test_between_moves_to_the_nearer_bound_and_out_of_it_to_the_nearer_side():
    criteria = {
        "all": [
            leaf("size", STAFF, "between", {"from": 10, "to": 50}),
            {
                "not": leaf(
                    "area", "housing.leased_floor_area", "between", {"from": "100.0", "to": "200.0"}
                )
            },
        ]
    }
    facts = {STAFF: 60, "housing.leased_floor_area": Decimal("190.0")}
    _outcome, found = advice_for(criteria, facts)
    size, area = (requirement.options[0] for requirement in found)
    assert (size.op, size.needed) == ("le", 50)
    assert (area.op, area.needed) == ("ge", Decimal("200.1"))


def test_an_unknown_fact_and_a_missing_record_are_said_plainly():
    criteria = {
        "all": [
            leaf("staff", STAFF, "ge", 10),
            leaf("revenue", "tax.annual_revenue", "ge", "1.00"),
            leaf("lease", "housing.lease_expires_on", "known"),
        ]
    }
    outcome, found = advice_for(
        criteria, {STAFF: 3, "tax.annual_revenue": None, "housing.lease_expires_on": None}
    )
    assert outcome.status == "ineligible"
    reasons = {requirement.criteria: requirement.reason for requirement in found}
    assert reasons[("revenue",)] == advice.UNKNOWN_FACT
    assert reasons[("lease",)] == advice.NO_RECORD
    assert reasons[("staff",)] == ""
    with translation.override("en"):
        words = advice_by_criterion(found)
    assert words["revenue"][0].startswith("We cannot say")
    assert "holds no record" in words["lease"][0]


def test_a_threshold_with_no_value_on_the_day_cannot_be_named():
    params = {
        "floor": {
            "type": "integer",
            "values": [
                {"from": (ON + timedelta(days=30)).isoformat(), "value": 10, "reference": "第三条"}
            ],
        }
    }
    rules = parse_rules(
        criteria={
            "all": [
                leaf("staff", STAFF, "ge", {"param": "floor"}),
                leaf("months", "hrss.continuous_contribution_months", "ge", 12),
            ]
        },
        benefit={"amount": "1.00"},
        parameters=params,
    )
    # The engine cannot read the threshold either; advice works on recorded outcomes.
    outcome = evaluate(
        rules, {STAFF: 3, "hrss.continuous_contribution_months": 1}, ON + timedelta(days=31)
    )
    found = advise(rules, outcome.criteria, ON, outcome.status)
    assert {requirement.reason for requirement in found} == {advice.NO_THRESHOLD, ""}


def test_an_amount_that_cannot_be_worked_out_is_said_plainly():
    rules = parse_rules(
        criteria={"all": [leaf("staff", STAFF, "ge", 1)]},
        benefit={"mul": [{"number": "0.1"}, {"fact": "hrss.annual_wage_bill"}]},
        parameters={},
    )
    outcome = evaluate(rules, {STAFF: 3, "hrss.annual_wage_bill": None}, ON)
    assert outcome.status == "unknown"
    (requirement,) = advise(rules, outcome.criteria, ON, outcome.status)
    assert requirement.reason == advice.AMOUNT and requirement.criteria == ()


def test_eligible_needs_no_advice_and_the_api_form_carries_values_as_json():
    _outcome, found = advice_for({"all": [leaf("staff", STAFF, "ge", 1)]}, {STAFF: 3})
    assert found == []
    _outcome, found = advice_for(
        {"all": [leaf("rev", "tax.annual_revenue", "ge", "10.50")]},
        {"tax.annual_revenue": Decimal("3.00")},
    )
    with translation.override("en"):
        (row,) = advice_as_json(found)
    (change,) = row["changes"]
    assert change == {
        "criterion": "rev",
        "fact": "tax.annual_revenue",
        "current": "3.00",
        "op": "ge",
        "needed": "10.50",
        "text": change["text"],
    }
    assert "¥10.50" in change["text"] and row["possible"] is True
