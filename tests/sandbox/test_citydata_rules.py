"""The generated city's policies must be readable by the rule engine: their pages and every
enterprise's calculator parse the version's rules, and a formula the engine refuses made
them all answer 500 (found by the load test, bench/load.py)."""

from policies.rules.ruleset import parse_rules
from sandbox.city.generator.policy_specs import ELIGIBILITY_CRITERIA, POLICIES, benefit_formula


def test_every_generated_policy_has_rules_the_engine_reads() -> None:
    for spec in POLICIES:
        rules = parse_rules(
            criteria=ELIGIBILITY_CRITERIA, benefit=benefit_formula(spec), parameters={}
        )
        assert "hrss.insured_employees" in rules.fact_names, spec.slug
