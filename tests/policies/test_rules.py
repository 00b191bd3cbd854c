"""Rules are data checked when saved: every mistake is refused with the path to it."""

import copy

import pytest

from policies.rules.errors import RuleError
from policies.rules.ruleset import parse_rules

from .rulesets import BENEFIT, CRITERIA, LABEL, PARAMETERS


def parse(criteria=CRITERIA, benefit=BENEFIT, parameters=PARAMETERS, rounding="half_up"):
    return parse_rules(criteria=criteria, benefit=benefit, parameters=parameters,
                       rounding=rounding)  # fmt: skip


def leaf(**overrides):
    base = {"id": "x", "label": LABEL, "clause": "§1", "fact": "hrss.insured_employees",
            "op": "ge", "value": 10}  # fmt: skip
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_the_sample_policy_parses_and_names_its_facts():
    rules = parse()
    assert set(rules.fact_names) == {
        "hrss.insured_employees", "market.registration_status", "tax.arrears",
        "market.abnormal_operations", "market.established_on", "tax.credit_grade",
        "tax.annual_revenue", "housing.leased_floor_area", "hrss.new_hires_this_year",
        "tax.tax_paid"}  # fmt: skip


@pytest.mark.parametrize(
    ("criteria", "path", "words"),
    [
        ("not an object", "criteria", "expected an object"),
        ({"all": []}, "criteria.all", "non-empty"),
        ({"all": [leaf(fact="tax.shoe_size")]}, "criteria.all[0].fact", "unknown fact"),
        ({"all": [leaf(op="contains")]}, "criteria.all[0].op", "does not apply"),
        (
            {"all": [leaf(fact="market.established_on", value="1000.00")]},
            "criteria.all[0].value",
            "not of type date",
        ),
        ({"all": [leaf(fact="tax.arrears", value=12.5)]}, "criteria.all[0].value", "floats"),
        (
            {"all": [leaf(fact="tax.arrears", value="1.005")]},
            "criteria.all[0].value",
            "two decimal places",
        ),
        (
            {"all": [leaf(fact="tax.credit_grade", op="eq", value="E")]},
            "criteria.all[0].value",
            "one of",
        ),
        (
            {"all": [leaf(fact="market.abnormal_operations", op="ge", value=1)]},
            "criteria.all[0].op",
            "does not apply",
        ),
        ({"all": [leaf(op="is_true", value=None)]}, "criteria.all[0].op", "does not apply"),
        ({"all": [leaf(value={"param": "nope"})]}, "criteria.all[0].value", "unknown parameter"),
        (
            {"all": [leaf(fact="tax.arrears", value={"param": "min_staff"})]},
            "criteria.all[0].value",
            "is a integer but tax.arrears is a money",
        ),
        ({"all": [leaf(id="")]}, "criteria.all[0].id", "needs an id"),
        ({"all": [leaf(), leaf()]}, "criteria.all[1].id", "used twice"),
        ({"all": [leaf(label={"zh": "只有中文"})]}, "criteria.all[0].label", "English"),
        ({"all": [leaf(clause="")]}, "criteria.all[0].clause", "clause"),
        (
            {"all": [leaf(op="between", value={"from": 20, "to": 10})]},
            "criteria.all[0].value",
            "nothing could match",
        ),
        ({"all": [leaf(op="in", value=[])]}, "criteria.all[0].value", "non-empty list"),
        ({"all": [leaf(op="known", value=3)]}, "criteria.all[0].value", "takes no value"),
    ],
)
def test_bad_criteria_are_refused_with_their_path(criteria, path, words):
    with pytest.raises(RuleError) as caught:
        parse(criteria=criteria)
    assert caught.value.path == path
    assert words in caught.value.message


@pytest.mark.parametrize(
    ("benefit", "path", "words"),
    [
        ({"fact": "hrss.insured_employees"}, "benefit", "amount in yuan"),
        ({"mul": [{"amount": "1.00"}, {"amount": "2.00"}]}, "benefit", "yuan²"),
        ({"add": [{"amount": "1.00"}, {"number": "2"}]}, "benefit", "mixes"),
        ({"fact": "market.established_on"}, "benefit", "not a number"),
        ({"number": 0.1}, "benefit.number", "strings"),
        (
            {
                "tiers": {
                    "fact": "hrss.insured_employees",
                    "bands": [
                        {"from": 0, "to": 60, "amount": {"amount": "1.00"}},
                        {"from": 50, "amount": {"amount": "2.00"}},
                    ],
                }
            },
            "benefit.tiers.bands",
            "overlap",
        ),
        (
            {
                "tiers": {
                    "fact": "hrss.insured_employees",
                    "bands": [{"from": 10, "to": 5, "amount": {"amount": "1.00"}}],
                }
            },
            "benefit.tiers.bands[0]",
            "above",
        ),
        (
            {"tiers": {"fact": "hrss.insured_employees", "bands": []}},
            "benefit.tiers.bands",
            "at least one",
        ),
        ({"pow": [1, 2]}, "benefit", "unknown formula element"),
    ],
)
def test_bad_formulas_are_refused_with_their_path(benefit, path, words):
    with pytest.raises(RuleError) as caught:
        parse(benefit=benefit)
    assert caught.value.path == path
    assert words in caught.value.message


@pytest.mark.parametrize(
    ("mutate", "path", "words"),
    [
        (lambda p: p["min_staff"].update(type="colour"), "parameters.min_staff.type", "type"),
        (lambda p: p["min_staff"].update(values=[]), "parameters.min_staff.values", "at least"),
        (
            lambda p: p["min_staff"]["values"][0].update(reference=""),
            "parameters.min_staff.values[0].reference",
            "cite",
        ),
        (
            lambda p: p["min_staff"]["values"][1].update({"from": "2025-01-01"}),
            "parameters.min_staff.values",
            "same date",
        ),
        (
            lambda p: p["per_hire"]["values"][0].update(value="abc"),
            "parameters.per_hire.values[0].value",
            "not of type money",
        ),
    ],
)
def test_bad_parameters_are_refused_with_their_path(mutate, path, words):
    parameters = copy.deepcopy(PARAMETERS)
    mutate(parameters)
    with pytest.raises(RuleError) as caught:
        parse(parameters=parameters)
    assert caught.value.path == path
    assert words in caught.value.message


def test_an_unknown_rounding_rule_is_refused():
    with pytest.raises(RuleError) as caught:
        parse(rounding="banker")
    assert caught.value.path == "rounding"


def test_no_shape_of_junk_crashes_the_parser():
    """Whatever JSON arrives, the answer is a parsed rule set or a RuleError with a path."""
    import random

    from .rulesets import BENEFIT as GOOD_BENEFIT
    from .rulesets import CRITERIA as GOOD_CRITERIA

    rng = random.Random(20261127)
    junk = [
        None,
        True,
        1.5,
        -1,
        0,
        "",
        "x",
        "1e30",
        "Infinity",
        "NaN",
        "2026-13-01",
        [],
        {},
        ["a"],
        {"param": ["x"]},
        {"param": "min_staff"},
        [1, 2],
        {"from": 1},
        10**30,
    ]

    def mutate(node, depth=0):
        if isinstance(node, dict):
            node = dict(node)
            if node and rng.random() < 0.3:
                key = rng.choice(list(node))
                node[key] = rng.choice(junk) if rng.random() < 0.7 else mutate(node[key], depth + 1)
            for key in list(node):
                if rng.random() < 0.2:
                    node[key] = mutate(node[key], depth + 1)
            return node
        if isinstance(node, list):
            return [mutate(item, depth + 1) for item in node]
        return rng.choice(junk) if rng.random() < 0.2 else node

    for _ in range(3000):
        try:
            parse_rules(criteria=mutate(GOOD_CRITERIA), benefit=mutate(GOOD_BENEFIT),
                        parameters=mutate(PARAMETERS))  # fmt: skip
        except RuleError as error:
            assert error.path
