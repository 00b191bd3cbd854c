"""Policies paid to persons (issue #26): the rule language takes the person's facts with the
employer's in a version for persons and refuses them in a version for enterprises; one
person and every person are decided through their employer (targeted, in business, not
black-listed), each person once; the forecast counts persons and cost; the editor and the
API carry the beneficiary."""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import numpy as np
import pytest
from django.urls import reverse

from credit.lists.models import EntryStatus, ListEntry, ListKind
from datahub import providers
from datahub.extracts import persons as person_extracts
from datahub.providers import register_local_provider, register_person_provider
from enterprises.models import Enterprise, EnterpriseStatus
from enterprises.persons.services import register_person
from policies.evaluation import (
    EMPLOYER_BLACK_LISTED,
    EMPLOYER_NOT_IN_BUSINESS,
    NO_EMPLOYER,
    evaluate_all_persons,
    evaluate_for_person,
)
from policies.forecast import forecast_breakdown
from policies.models import Policy
from policies.rules.errors import RuleError
from policies.rules.ruleset import parse_rules
from policies.services.boundary_cases import generate_boundary_cases
from policies.services.drafts import create_draft
from policies.services.test_cases import add_test_case, run_test_cases
from policies.services.what_if import what_if
from qinqing.errors import Invalid
from qinqing.registry import Registry
from qinqing.resident_ids import make_resident_id
from tests.factories import EnterpriseFactory, OfficialFactory, department, district, member_of

pytestmark = pytest.mark.django_db
TODAY = date.today()
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
LABEL = {"zh": "条件", "en": "condition"}

PERSON_CRITERIA = {"all": [
    {"id": "months", "label": {"zh": "在本单位参保满6个月", "en": "Insured here 6 months"},
     "clause": "第二条", "fact": "person.hrss.months_paid", "op": "ge",
     "value": {"param": "min_months"}},
    {"id": "no-home", "label": {"zh": "在本市无房", "en": "Owns no home in the city"},
     "clause": "第二条", "fact": "person.housing.owns_home", "op": "is_false"},
    {"id": "employer-active", "label": {"zh": "单位存续", "en": "The employer is active"},
     "clause": "第三条", "fact": "market.registration_status", "op": "eq", "value": "active"},
]}  # fmt: skip
PARAMETERS = {"min_months": {"type": "integer", "values": [
    {"from": "2020-01-01", "value": 6, "reference": "第二条"}]}}  # fmt: skip
# ¥1,000 a month for a talent catalogue level A, ¥500 otherwise: the tiers of a numeric
# fact do it for months paid here (the demo uses the talent level through its criteria).
BENEFIT = {"amount": "500.00"}


def person_version_fields(**overrides):
    fields = {
        "beneficiary": "person", "valid_from": TODAY - timedelta(days=1),
        "valid_until": TODAY + timedelta(days=60), "criteria": PERSON_CRITERIA,
        "benefit": BENEFIT, "parameters": PARAMETERS, "rounding": "half_up",
        "budget": Decimal("1000000.00"), "claim_period": "monthly",
    }  # fmt: skip
    fields.update(overrides)
    return fields


@pytest.fixture
def author():
    return OfficialFactory(department=department("housing"), district=None, username="author")


@pytest.fixture
def policy():
    return Policy.objects.create(
        code="employee-rent", department=department("housing"),
        title_zh="企业员工租房补贴", title_en="Employee rent subsidy",
        summary_zh="按月补贴员工租房", summary_en="A monthly rent subsidy for employees",
        legal_basis_zh="第二条 …\n第三条 …", benefit_type="rent_subsidy",
        delivery_mode="automatic",
    )  # fmt: skip


@pytest.fixture
def person_version(policy, author):
    return create_draft(policy=policy, actor=author, **person_version_fields())


# --- The rule language -----------------------------------------------------------------------


def test_a_version_for_persons_reads_person_facts_and_the_employers():
    rules = parse_rules(criteria=PERSON_CRITERIA, benefit={"mul": [
        {"fact": "person.hrss.months_paid"}, {"amount": "10.00"}]},
        parameters=PARAMETERS, beneficiary="person")  # fmt: skip
    assert rules.beneficiary == "person"
    assert rules.person_fact_names == ["person.hrss.months_paid", "person.housing.owns_home"]
    assert rules.employer_fact_names == ["market.registration_status"]


@pytest.mark.parametrize(("criteria", "benefit", "path"), [
    (PERSON_CRITERIA, BENEFIT, "criteria.all[0].fact"),
    ({"all": [PERSON_CRITERIA["all"][2]]},
     {"mul": [{"fact": "person.hrss.months_paid"}, {"amount": "1.00"}]}, "benefit.mul[0]"),
    ({"all": [PERSON_CRITERIA["all"][2]]},
     {"tiers": {"fact": "person.housing.provident_fund_monthly",
                "bands": [{"from": "0.00", "amount": {"amount": "1.00"}}]}},
     "benefit.tiers.fact"),
])  # fmt: skip
def test_a_version_for_enterprises_refuses_person_facts_naming_the_path(criteria, benefit, path):
    with pytest.raises(RuleError) as refused:
        parse_rules(criteria=criteria, benefit=benefit, parameters=PARAMETERS)
    assert refused.value.path == path
    assert "fact about a person" in refused.value.message
    assert "beneficiary person" in refused.value.message


def test_an_identifier_is_not_compared_and_a_beneficiary_is_one_of_two():
    criteria = {"all": [{"id": "u", "label": LABEL, "clause": "§1",
                         "fact": "person.hrss.employer_uscc", "op": "known"}]}  # fmt: skip
    with pytest.raises(RuleError) as refused:
        parse_rules(criteria=criteria, benefit=BENEFIT, parameters={}, beneficiary="person")
    assert refused.value.path == "criteria.all[0].fact"
    with pytest.raises(RuleError) as refused:
        parse_rules(criteria=PERSON_CRITERIA, benefit=BENEFIT, parameters=PARAMETERS,
                    beneficiary="robot")  # fmt: skip
    assert refused.value.path == "beneficiary"


def test_test_cases_take_both_kinds_of_facts_and_boundaries_are_generated(person_version, author):
    add_test_case(person_version, actor=author, name="tenant", expected_status="eligible",
                  facts={"person.hrss.months_paid": 7, "person.housing.owns_home": False,
                         "market.registration_status": "active"},
                  expected_amount=Decimal("500.00"))  # fmt: skip
    generated = generate_boundary_cases(person_version)
    assert {case.name for case in generated} >= {
        "months: person.hrss.months_paid at threshold 6 − 1",
        "no-home: person.housing.owns_home = True",
    }
    results = run_test_cases(person_version)
    assert results and all(result.passed for result in results), [r.problems for r in results]


def test_an_enterprise_version_refuses_a_test_case_with_person_facts(policy, author):
    version = create_draft(policy=policy, actor=author, **person_version_fields(
        beneficiary="enterprise", criteria={"all": [PERSON_CRITERIA["all"][2]]}))  # fmt: skip
    with pytest.raises(Invalid) as refused:
        add_test_case(version, actor=author, name="x", facts={"person.hrss.months_paid": 7})
    assert "fact about a person" in str(refused.value.fields["facts"])


# --- One person ------------------------------------------------------------------------------


def _number(serial: int) -> str:
    return make_resident_id("330106", date(1996, 3, 7), serial)


@pytest.fixture
def departments_answer(monkeypatch):
    """Person departments answering from a table: identity number -> facts."""
    monkeypatch.setattr(providers, "PERSON_PROVIDERS", Registry("person provider"))
    table: dict[str, dict] = {}

    def insurance(number, fields, as_of):
        row = table[number]
        return {"sfcb": "是" if row["uscc"] else "否", "cbdwdm": row["uscc"],
                "cbrq": (as_of - timedelta(days=31 * row["months"])).isoformat(),
                "jfys": row["months"]}  # fmt: skip

    def housing(number, fields, as_of):
        return {"yzf": "是" if table[number]["owns"] else "否", "jcgjj": "否", "gjjyjce": "0.00"}

    register_person_provider("hrss.person_insurance", insurance)
    register_person_provider("housing.person_property", housing)
    # The simulated market department says "revoked" for some 4 % of USCCs, and which
    # USCC a factory gives depends on the tests run before: the employers' registration
    # is answered from the register here, so the outcome depends on this test alone.
    local = Registry("local provider")
    for interface, provider in providers.LOCAL_PROVIDERS.items():
        local.register(interface, provider)
    monkeypatch.setattr(providers, "LOCAL_PROVIDERS", local)

    def registration(uscc, fields, as_of):
        status = Enterprise.objects.get(uscc=uscc).status
        return {"djzt": "存续" if status == EnterpriseStatus.ACTIVE else "吊销"}

    register_local_provider("market.registration", registration)
    return table


def _black_list(enterprise):
    ListEntry.objects.create(
        enterprise=enterprise, list_kind=ListKind.BLACK, legal_basis="§", source="test",
        reason="test", valid_from=TODAY - timedelta(days=10),
        valid_until=TODAY + timedelta(days=300), status=EntryStatus.CURRENT,
    )  # fmt: skip


def test_one_person_is_decided_through_their_employer_with_every_reason(
    person_version, departments_answer, author
):
    good, listed = EnterpriseFactory(), EnterpriseFactory()
    closed = EnterpriseFactory(status=EnterpriseStatus.REVOKED)
    _black_list(listed)
    people = {}
    for serial, (employer, months, owns) in enumerate(
        [(good, 7, False), (listed, 7, False), (closed, 7, False), (None, 0, False),
         (good, 3, False)], start=1,
    ):  # fmt: skip
        number = _number(serial)
        departments_answer[number] = {"uscc": employer.uscc if employer else "",
                                      "months": months, "owns": owns}  # fmt: skip
        people[serial] = register_person(number=number, name=f"员工{serial}")

    def decide(serial):
        return evaluate_for_person(person_version, people[serial], purpose="test: rent subsidy",
                                   requested_by=author)  # fmt: skip

    paid = decide(1)
    assert (paid.status, paid.amount, paid.employer) == ("eligible", Decimal("500.00"), good)
    rows = {row["id"]: row for row in paid.explanation()}
    assert rows["months"]["value"] == 7 and rows["months"]["met"] is True
    assert rows["months"]["fetched_at"]  # when the department answered
    assert rows["employer-active"]["value"] == "active"
    assert rows["employer-not-black-listed"]["met"] is True
    refused = decide(2)
    assert (refused.status, refused.employer_reason) == ("ineligible", EMPLOYER_BLACK_LISTED)
    assert refused.amount is None
    assert {row["id"]: row["met"] for row in refused.explanation()}[
        "employer-not-black-listed"] is False  # fmt: skip
    assert decide(3).employer_reason == EMPLOYER_NOT_IN_BUSINESS
    assert (decide(4).status, decide(4).employer_reason) == ("not_targeted", NO_EMPLOYER)
    too_new = decide(5)
    assert too_new.status == "ineligible"
    assert {row["id"]: row["met"] for row in too_new.explanation()}["months"] is False


# --- Every person ----------------------------------------------------------------------------


def _fake_person_snapshot(monkeypatch, rows, employer_rows, as_of=TODAY):
    """read_person_snapshot as contracted (datahub.extracts.persons), over a small register: rows
    are (person id, employer id or -1, months paid, owns a home)."""
    calls = []

    def read(person_fact_names, employer_fact_names=(), person_ids=None, *, id_range=None,
             employers=None):  # fmt: skip
        assert id_range is None and employers is None  # one read of everyone, never parts
        calls.append((list(person_fact_names), list(employer_fact_names)))
        chosen = [row for row in rows if person_ids is None or row[0] in set(person_ids)]
        employers = np.array([row[1] for row in chosen], dtype=np.int64)
        insured = employers >= 0
        columns = {
            "person.hrss.months_paid": np.array([row[2] for row in chosen], dtype=np.int64),
            "person.housing.owns_home": np.array([row[3] for row in chosen], dtype=bool),
            "market.registration_status": np.array(
                [employer_rows.get(e, ("", False))[0] for e in employers], dtype="<U32"),
            "credit.black_list": np.array(
                [employer_rows.get(e, ("", False))[1] for e in employers], dtype=bool),
        }  # fmt: skip
        known = {name: np.ones(len(chosen), dtype=bool) for name in columns}
        for name in ("market.registration_status", "credit.black_list"):
            known[name] = insured.copy()
        return SimpleNamespace(person_ids=np.array([row[0] for row in chosen], dtype=np.int64),
                               employer_ids=employers, columns=columns, known=known,
                               as_of=as_of)  # fmt: skip

    monkeypatch.setattr(person_extracts, "read_person_snapshot", read, raising=False)
    return calls


@pytest.fixture
def small_register(monkeypatch):
    """Two employers in two districts, one black-listed; a third not in the targeted
    district; persons 1–3 at the first (3 has a home), 4–5 at the black-listed one,
    6 at the untargeted one, 7 not insured, 8 insured by two enterprises (two rows)."""
    xihu, binjiang = district("xihu"), district("binjiang")
    first = EnterpriseFactory(district=xihu, size_class="small", industry_section="I")
    listed = EnterpriseFactory(district=binjiang, size_class="micro", industry_section="C")
    elsewhere = EnterpriseFactory(district=district("shangcheng"))
    rows = [(1, first.pk, 12, False), (2, first.pk, 6, False), (3, first.pk, 24, True),
            (4, listed.pk, 12, False), (5, listed.pk, 12, False),
            (6, elsewhere.pk, 12, False), (7, -1, 0, False),
            (8, listed.pk, 12, False), (8, first.pk, 9, False)]  # fmt: skip
    employers = {first.pk: ("active", False), listed.pk: ("active", True),
                 elsewhere.pk: ("active", False)}  # fmt: skip
    calls = _fake_person_snapshot(monkeypatch, rows, employers)
    return SimpleNamespace(first=first, listed=listed, elsewhere=elsewhere, calls=calls,
                           districts=[xihu, binjiang])  # fmt: skip


def test_every_person_is_decided_once_through_a_qualifying_employer(person_version, small_register):
    person_version.policy.target_districts.set(small_register.districts)
    decision = evaluate_all_persons(person_version)
    # The hub is asked for the person facts and the employer's, with the black list.
    assert small_register.calls[0] == (
        ["person.hrss.months_paid", "person.housing.owns_home"],
        ["market.registration_status", "credit.black_list"],
    )
    paid = sorted(decision.person_ids[decision.eligible].tolist())
    assert paid == [1, 2, 8]  # 3 owns a home; 4, 5 black-listed; 6 untargeted; 7 uninsured
    # Person 8 is insured by two enterprises: paid once, through the one that qualifies.
    rows_of_8 = np.flatnonzero(decision.person_ids == 8)
    kept = rows_of_8[decision.eligible[rows_of_8]]
    assert len(kept) == 1 and decision.employer_ids[kept[0]] == small_register.first.pk
    assert int(decision.amount_fen.sum()) == 3 * 50000
    status = dict(zip(decision.person_ids.tolist(), decision.status().tolist(), strict=False))
    assert status[4] == status[5] == "ineligible"
    assert status[6] == status[7] == "not_targeted"
    assert decision.as_of == TODAY
    # Some persons only (a re-evaluation, a person's own page).
    some = evaluate_all_persons(person_version, person_ids=[2, 4])
    assert some.person_ids[some.eligible].tolist() == [2]


def test_an_employer_that_is_not_in_business_lets_nobody_qualify(person_version, small_register):
    small_register.first.status = EnterpriseStatus.DEREGISTERED
    small_register.first.save()
    decision = evaluate_all_persons(person_version)
    # 6 works for the one left in business (no district targeted now).
    assert decision.person_ids[decision.eligible].tolist() == [6]


def test_the_forecast_counts_persons_and_cost_by_the_employers_district_and_size(
    person_version, small_register
):
    with_districts = person_version.policy
    with_districts.target_districts.set(small_register.districts)
    forecast = what_if(person_version)
    periods = forecast.periods
    assert (forecast.beneficiary, forecast.eligible, forecast.persons) == ("person", 3, 8)
    assert forecast.enterprises == 3
    assert forecast.total_cost == Decimal("1500.00") * periods
    breakdown = forecast_breakdown(person_version)
    assert (breakdown.reach, breakdown.cost) == (3, Decimal("1500.00") * periods)
    by = {dimension.key: {row.label: (row.reach, row.cost) for row in dimension.rows}
          for dimension in breakdown.dimensions}  # fmt: skip
    assert by["district"] == {small_register.first.district.name: (3, breakdown.cost)}
    assert list(by["size"].values()) == [(3, breakdown.cost)]
    names = str(by)
    assert small_register.first.name not in names  # never names


# --- Pages and the API -----------------------------------------------------------------------


def _api_body(**overrides):
    body = person_version_fields(**overrides)
    body.update(valid_from=str(body["valid_from"]), valid_until=str(body["valid_until"]),
                budget=str(body["budget"]))  # fmt: skip
    return body


def test_the_api_drafts_a_version_for_persons_and_refuses_bad_beneficiaries(
    api_client, policy, author
):
    api_client.force_authenticate(author)
    url = f"/api/v1/policies/{policy.code}/versions/"
    created = api_client.post(url, _api_body(), format="json", **EN)
    assert created.status_code == 201, created.json()
    assert created.json()["beneficiary"] == "person"
    bad = api_client.post(url, _api_body(beneficiary="robot"), format="json", **EN)
    assert bad.status_code == 400
    assert "beneficiary" in bad.json()["fields"]
    mixed = api_client.post(url, _api_body(beneficiary="enterprise"), format="json", **EN)
    assert mixed.status_code == 400
    assert "criteria.all[0].fact" in str(mixed.json()["fields"]["criteria"])
    assert "fact about a person" in str(mixed.json()["fields"]["criteria"])
    nul = api_client.post(url, _api_body(beneficiary="person\x00"), format="json", **EN)
    assert nul.status_code == 400


def _edit_data(beneficiary: str, fact: str) -> dict:
    return {
        "beneficiary": beneficiary, "match": "all", "valid_from": TODAY.isoformat(),
        "valid_until": (TODAY + timedelta(days=60)).isoformat(), "budget": "100000.00",
        "per_enterprise_cap": "", "claim_period": "monthly", "rounding": "half_up",
        "parameters": "{}", "benefit": '{"amount": "500.00"}', "notes": "",
        "criteria-TOTAL_FORMS": 1, "criteria-INITIAL_FORMS": 0, "criteria-MIN_NUM_FORMS": 0,
        "criteria-MAX_NUM_FORMS": 1000, "criteria-0-id": "no-home",
        "criteria-0-label_zh": "无房", "criteria-0-label_en": "No home",
        "criteria-0-clause": "第二条", "criteria-0-fact": fact, "criteria-0-op": "is_false",
        "criteria-0-value": "", "groups-TOTAL_FORMS": 0, "groups-INITIAL_FORMS": 0,
        "groups-MIN_NUM_FORMS": 0, "groups-MAX_NUM_FORMS": 3,
    }  # fmt: skip


def test_the_editor_offers_person_facts_to_a_version_for_persons_only(
    client, person_version, author
):
    client.force_login(author)
    url = reverse("policies:official_edit", args=[person_version.pk])
    page = client.get(url, **EN).content.decode()
    assert 'value="person.housing.owns_home"' in page
    assert 'value="person.hrss.employer_uscc"' not in page  # an identifier: not offered
    refused = client.post(url, _edit_data("enterprise", "person.housing.owns_home"), **EN)
    assert refused.status_code == 200
    assert "fact about a person" in str(refused.context["formset"].forms[0].errors["fact"])
    assert 'value="person.housing.owns_home"' not in refused.content.decode().split(
        'name="criteria-0-fact"')[1].split("</select>")[0]  # fmt: skip
    bad = client.post(url, _edit_data("robot", "person.housing.owns_home"), **EN)
    assert bad.status_code == 200 and "beneficiary" in bad.context["form"].errors
    saved = client.post(url, _edit_data("person", "person.housing.owns_home"), **EN)
    assert saved.status_code == 302
    person_version.refresh_from_db()
    assert person_version.beneficiary == "person"
    assert person_version.criteria["all"][0]["fact"] == "person.housing.owns_home"


def test_the_policy_pages_say_plainly_who_is_paid(client, person_version, author):
    client.force_login(author)
    page = client.get(reverse("policies:official_version", args=[person_version.pk]), **EN)
    assert "Paid to each qualifying employee, into their own bank account." in page.content.decode()


# --- An amount per value of a list (the talent catalogue level) --------------------------------

CHOOSE = {"choose": {"fact": "person.talent.level",
                     "cases": {"A": {"amount": "1000.00"}, "B": {"amount": "800.00"}},
                     "otherwise": {"amount": "500.00"}}}  # fmt: skip


def test_choose_pays_by_level_the_same_one_by_one_and_in_the_batch():
    from policies.batch import Column, evaluate_batch
    from policies.engine import evaluate

    rules = parse_rules(criteria=PERSON_CRITERIA, benefit=CHOOSE, parameters=PARAMETERS,
                        beneficiary="person")  # fmt: skip
    assert "person.talent.level" in rules.person_fact_names
    levels = ["A", "B", "none", "C", None]
    base = {"person.hrss.months_paid": 8, "person.housing.owns_home": False,
            "market.registration_status": "active"}  # fmt: skip
    single = [evaluate(rules, {**base, "person.talent.level": level}, TODAY).amount
              for level in levels]  # fmt: skip
    assert single == [Decimal("1000.00"), Decimal("800.00"), Decimal("500.00"),
                      Decimal("500.00"), None]  # fmt: skip
    n = len(levels)
    columns = {
        "person.hrss.months_paid": Column(np.full(n, 8), np.ones(n, bool)),
        "person.housing.owns_home": Column(np.zeros(n, bool), np.ones(n, bool)),
        "market.registration_status": Column(np.full(n, "active", "<U32"), np.ones(n, bool)),
        "person.talent.level": Column(np.array([lv or "" for lv in levels], "<U32"),
                                      np.array([lv is not None for lv in levels])),
    }  # fmt: skip
    batch = evaluate_batch(rules, columns, TODAY)
    assert batch.amount_fen[:4].tolist() == [100000, 80000, 50000, 50000]
    assert batch.status().tolist() == ["eligible"] * 4 + ["unknown"]


@pytest.mark.parametrize(("benefit", "path"), [
    ({"choose": {"fact": "person.hrss.months_paid", "cases": {"1": {"amount": "1.00"}},
                 "otherwise": {"amount": "1.00"}}}, "benefit.choose.fact"),
    ({"choose": {"fact": "person.talent.level", "cases": {"Z": {"amount": "1.00"}},
                 "otherwise": {"amount": "1.00"}}}, "benefit.choose.cases.Z"),
    ({"choose": {"fact": "person.talent.level", "cases": {"A": {"number": "2"}},
                 "otherwise": {"amount": "1.00"}}}, "benefit.choose.cases.A"),
    ({"choose": {"fact": "person.talent.level", "cases": {}, "otherwise": {"amount": "1"}}},
     "benefit.choose.cases"),
    ({"choose": {"fact": "person.talent.level", "cases": {"A": {"amount": "1.00"}}}},
     "benefit.choose"),
])  # fmt: skip
def test_choose_is_refused_where_it_cannot_pay(benefit, path):
    with pytest.raises(RuleError) as refused:
        parse_rules(criteria=PERSON_CRITERIA, benefit=benefit, parameters=PARAMETERS,
                    beneficiary="person")  # fmt: skip
    assert refused.value.path == path


# --- The demo's employee rent subsidy --------------------------------------------------------


def test_the_demo_employee_rent_subsidy_decides_as_its_articles_say():
    from policies.engine import evaluate
    from sandbox.city.generator.policy_specs import EMPLOYEE_RENT_SUBSIDY

    spec = EMPLOYEE_RENT_SUBSIDY["version"]
    rules = parse_rules(criteria=spec["criteria"], benefit=spec["benefit"],
                        parameters=spec["parameters"], beneficiary=spec["beneficiary"])  # fmt: skip
    young = {"person.hrss.insured": True, "person.hrss.months_paid": 6,
             "person.housing.owns_home": False, "person.hrss.age": 29,
             "person.talent.level": "none", "credit.black_list": False}  # fmt: skip
    on = date(2026, 12, 1)
    assert evaluate(rules, young, on).amount == Decimal("500.00")
    talent = {**young, "person.hrss.age": 41, "person.talent.level": "C"}
    assert evaluate(rules, talent, on).amount == Decimal("1000.00")
    for change in ({"person.hrss.months_paid": 5}, {"person.housing.owns_home": True},
                   {"person.hrss.age": 35}, {"credit.black_list": True}):  # fmt: skip
        assert evaluate(rules, {**young, **change}, on).status == "ineligible", change


# --- The hub's real extracts: every person at once agrees with each one alone ------------------


def _demo_policy(author_of_housing):
    from sandbox.city.generator.policy_specs import EMPLOYEE_RENT_SUBSIDY as spec

    policy = Policy.objects.create(
        department=department(spec["department"]),
        **{key: spec[key] for key in ("code", "title_zh", "title_en", "summary_zh",
                                      "summary_en", "legal_basis_zh", "legal_basis_en",
                                      "benefit_type", "delivery_mode")},
    )  # fmt: skip
    return create_draft(policy=policy, actor=author_of_housing,
                        **{**spec["version"], "valid_from": date(2026, 12, 1),
                           "valid_until": date(2027, 11, 30)})  # fmt: skip


def test_every_person_from_the_extracts_is_decided_as_each_alone(author):
    from datahub.extracts.refresh import refresh_extract, refresh_person_extract
    from datahub.extracts.subjects import person_extract_departments
    from enterprises.persons.models import Person
    from enterprises.persons.services import register_many

    as_of = date(2026, 12, 1)
    for _ in range(6):
        EnterpriseFactory(status=EnterpriseStatus.ACTIVE)
    # 25 aged 31 and 25 aged 42 (under 35, or only with a talent level).
    rows = [(make_resident_id("330106", date(1995, 5, 5), n), f"员工{n}") for n in range(1, 26)]
    rows += [(make_resident_id("330108", date(1984, 2, 2), n), f"职工{n}") for n in range(1, 26)]
    register_many(rows)
    for code in ("hrss", "market", "ndrc"):
        refresh_extract(code, purpose="test: batch", as_of=as_of)
    for code in person_extract_departments():
        refresh_person_extract(code, purpose="test: person batch", as_of=as_of)
    # Black-list the employer of the most people, and bring the credit extract up to date.
    first = person_extracts.read_person_snapshot([], [])
    insured = first.employer_ids[first.employer_ids >= 0]
    listed_id = int(np.bincount(insured).argmax())
    _black_list(Enterprise.objects.get(pk=listed_id))
    refresh_extract("ndrc", purpose="test: batch", as_of=as_of)
    version = _demo_policy(author)
    batch = evaluate_all_persons(version, rules_on=as_of)
    status = batch.status()
    seen = set()
    for row, person_id in enumerate(batch.person_ids.tolist()):
        alone = evaluate_for_person(version, Person.objects.get(pk=person_id),
                                    purpose="test: parity", as_of=as_of)  # fmt: skip
        assert status[row] == alone.status, (person_id, alone.employer_reason)
        expected = int((alone.amount or 0) * 100)
        assert int(batch.amount_fen[row]) == expected, person_id
        if alone.employer is not None and alone.employer.pk == listed_id:
            assert alone.status != "eligible"
        seen.add(alone.status)
    assert {"eligible", "ineligible", "not_targeted"} <= seen
    assert set(batch.amount_fen[batch.eligible].tolist()) <= {50000, 100000}


def test_a_published_policy_for_persons_says_who_is_paid_in_the_catalogue(
    client, person_version, author, small_register
):
    from policies.services.publication import approve, submit_for_approval

    checker = OfficialFactory(department=department("housing"), district=None, username="c2")
    generate_boundary_cases(person_version)
    approve(submit_for_approval(person_version, actor=author), actor=checker)
    said = "Paid to each qualifying employee, into their own bank account."
    for url in (reverse("policies:catalog"), reverse("policies:detail", args=["employee-rent"])):
        page = client.get(url, **EN)
        assert page.status_code == 200
        assert said in page.content.decode(), url
    # An employer's member is not offered to claim it for the enterprise.
    client.force_login(member_of(small_register.first))
    detail = client.get(reverse("policies:detail", args=["employee-rent"]), **EN).content.decode()
    assert "Owns a home in the city" in detail  # the person fact's label
    assert "Check whether my enterprise qualifies" not in detail
    assert "Your enterprises under this policy" not in detail


def test_a_persons_decision_is_explained_again_from_the_facts_kept_with_the_claim(
    person_version,
):
    from policies.evaluation import explain_recorded

    kept = {"person.hrss.months_paid": 5, "person.housing.owns_home": False,
            "market.registration_status": "active"}  # fmt: skip
    outcome = explain_recorded(person_version, kept, TODAY)
    assert outcome.status == "ineligible"
    by_id = {criterion.id: criterion for criterion in outcome.criteria}
    assert (by_id["months"].value, by_id["months"].threshold, by_id["months"].met) == (5, 6, False)
    assert by_id["no-home"].met is True and by_id["employer-active"].met is True
    assert by_id["months"].department == "hrss"
