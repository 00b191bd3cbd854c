"""My subsidies: the open policies for employees checked for the person when they ask,
with each criterion's reason (each read logged with the person's purpose), "nearly" when
one condition is short, and a Claim button through the one pipeline."""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import numpy as np
import pytest
from django.core.cache import cache
from django.urls import reverse

from datahub import providers
from datahub.extracts import persons as person_extracts
from datahub.fetching.pipeline import fetch_facts_many
from datahub.models import DataCall
from datahub.providers import register_person_provider
from policies.models import Policy
from policies.services.boundary_cases import generate_boundary_cases
from policies.services.drafts import create_draft
from policies.services.publication import approve, submit_for_approval
from qinqing.registry import Registry
from subsidies.models import Claim
from tests.factories import OfficialFactory, department
from workspace.persons.selectors import QUALIFY_PURPOSE

from .conftest import NUMBER

TODAY = date.today()
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CRITERIA = {"all": [
    {"id": "months", "label": {"zh": "在本单位参保满6个月", "en": "Insured here 6 months"},
     "clause": "第二条", "fact": "person.hrss.months_paid", "op": "ge", "value": 6},
    {"id": "no-home", "label": {"zh": "在本市无房", "en": "Owns no home in the city"},
     "clause": "第二条", "fact": "person.housing.owns_home", "op": "is_false"},
    {"id": "employer-active", "label": {"zh": "单位存续", "en": "The employer is active"},
     "clause": "第三条", "fact": "market.registration_status", "op": "eq", "value": "active"},
]}  # fmt: skip


def publish_rent(mode: str = "apply", code: str = "employee-rent") -> Policy:
    """The employee rent subsidy, paid to persons, through the four eyes."""
    author = OfficialFactory(department=department("housing"), district=None)
    approver = OfficialFactory(department=department("housing"), district=None)
    policy = Policy.objects.create(
        code=code, department=department("housing"), title_zh="企业员工租房补贴",
        title_en="Employee rent subsidy", summary_zh="按月补贴员工租房",
        summary_en="A monthly rent subsidy for employees", legal_basis_zh="第二条",
        benefit_type="rent_subsidy", delivery_mode=mode,
    )  # fmt: skip
    version = create_draft(
        policy=policy, actor=author, beneficiary="person", valid_from=TODAY - timedelta(days=1),
        valid_until=TODAY + timedelta(days=60), criteria=CRITERIA, benefit={"amount": "500.00"},
        parameters={}, rounding="half_up", budget=Decimal("1000000.00"), claim_period="monthly",
    )  # fmt: skip
    generate_boundary_cases(version)
    approve(submit_for_approval(version, actor=author), actor=approver)
    return policy


def no_person_extracts(monkeypatch):
    """The four eyes' what-if reads the person extracts (datahub.extracts.persons.
    read_person_snapshot, as contracted): an empty one here, these tests decide one person
    at a time through the hub."""

    def read(person_fact_names, employer_fact_names=(), person_ids=None, *, id_range=None,
             employers=None):  # fmt: skip
        assert id_range is None and employers is None  # one read of everyone, never parts
        names = [*person_fact_names, *employer_fact_names]
        empty = np.array([], dtype=np.int64)
        return SimpleNamespace(
            person_ids=empty, employer_ids=empty, as_of=TODAY,
            columns={name: np.array([], dtype=object) for name in names},
            known={name: np.array([], dtype=bool) for name in names},
        )  # fmt: skip

    monkeypatch.setattr(person_extracts, "read_person_snapshot", read, raising=False)


def _active_employer(register):
    """An enterprise the simulated market regulator shows in business (its answer follows
    the USCC, which the factory's sequence makes differ from run to run)."""
    read = fetch_facts_many([(enterprise, "test: employer") for enterprise in register],
                            ["market.registration_status"])  # fmt: skip
    for enterprise, facts in zip(register, read, strict=True):
        if facts.values()["market.registration_status"] == "active":
            return enterprise
    raise AssertionError("no enterprise of the register is in business")


@pytest.fixture
def answers(monkeypatch, register):
    """The person departments answering from a table the test fills: number -> facts. The
    hub's cache is emptied first: an enterprise of an earlier test had the same USCC (the
    factory's sequence), and its cached facts are not this employer's."""
    cache.clear()
    no_person_extracts(monkeypatch)
    monkeypatch.setattr(providers, "PERSON_PROVIDERS", Registry("person provider"))
    table = {"uscc": _active_employer(register).uscc, "months": 14, "owns": False}

    def insurance(number, fields, as_of):
        return {"sfcb": "是", "cbdwdm": table["uscc"], "jfys": table["months"],
                "cbrq": (as_of - timedelta(days=31 * table["months"])).isoformat()}  # fmt: skip

    def housing(number, fields, as_of):
        return {"yzf": "是" if table["owns"] else "否", "jcgjj": "否", "gjjyjce": "0.00"}

    def card(number, fields, as_of):
        return {"yhzh": "6222020200112233445", "khyh": "中国工商银行杭州分行"}

    register_person_provider("hrss.person_insurance", insurance)
    register_person_provider("housing.person_property", housing)
    register_person_provider("hrss.social_security_card", card)
    return table


def _check(client, person):
    client.force_login(person.user)
    response = client.post(reverse("person_check_subsidies"), **EN)
    assert response.status_code == 200
    return response.content.decode()


def test_the_open_policies_are_listed_and_read_only_when_the_person_asks(client, person, answers):
    publish_rent()
    client.force_login(person.user)
    page = client.get(reverse("person_subsidies"), **EN).content.decode()
    assert "Employee rent subsidy" in page and "Check which I qualify for" in page
    assert not DataCall.objects.filter(person=person).exists()  # no read without asking


def test_a_qualifying_person_sees_every_reason_and_may_claim(client, person, answers):
    publish_rent()
    page = _check(client, person)
    assert "You qualify." in page and "¥500.00" in page
    assert "Insured here 6 months" in page and "Months paid with this employer" in page
    assert "Owns no home in the city" in page
    assert "The employer is not on the black list" in page
    assert "a fact about your employer" in page
    assert reverse("person_claim_policy", args=["employee-rent"]) in page
    assert "fact=person.housing.owns_home" in page  # dispute a fact about oneself
    assert NUMBER not in page
    calls = DataCall.objects.filter(person=person)
    assert calls.exists() and {call.purpose for call in calls} == {QUALIFY_PURPOSE}
    # "My data" shows the reads with the person's purpose.
    log = client.get(reverse("person_data_access"), **EN).content.decode()
    assert "you checked which subsidies for employees you qualify for" in log


def test_one_condition_short_is_nearly(client, person, answers):
    publish_rent()
    answers["owns"] = True
    page = _check(client, person)
    assert "You nearly qualify: one condition is not met." in page
    assert reverse("person_claim_policy", args=["employee-rent"]) not in page
    answers["months"] = 2
    assert "You do not qualify now." in _check(client, person)


def test_not_insured_says_why_in_plain_words(client, person, answers):
    publish_rent()
    answers["uscc"] = ""
    page = _check(client, person)
    assert "does not show you insured by an enterprise in the register" in page


def test_claim_goes_through_the_one_pipeline_and_a_second_click_is_the_first(
    client, person, answers, django_capture_on_commit_callbacks
):
    publish_rent()
    client.force_login(person.user)
    url = reverse("person_claim_policy", args=["employee-rent"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, **EN)
    claim = Claim.objects.get(person=person)
    assert response.status_code == 302
    assert response["Location"] == reverse("person_claim", args=[claim.pk])
    assert claim.status == "in_review", (claim.status, claim.decision)  # an official reviews
    assert claim.enterprise.uscc == answers["uscc"]
    page = client.get(response["Location"], **EN).content.decode()
    assert "Employee rent subsidy" in page and 'class="steps"' in page
    assert "an official of" in page.lower() and "Insured here 6 months" in page
    assert client.post(url, **EN)["Location"] == response["Location"]
    assert Claim.objects.filter(person=person).count() == 1
    # Once claimed, the check shows the claim instead of reading again.
    assert "You already have this subsidy for this period." in _check(client, person)


def test_only_a_person_claims_for_themself(client, member, answers):
    publish_rent()
    client.force_login(member)
    assert client.post(reverse("person_claim_policy", args=["employee-rent"])).status_code == 403
    assert client.post(reverse("person_check_subsidies")).status_code == 403
    assert client.get(reverse("person_check_subsidies")).status_code == 405


def test_an_unknown_policy_is_a_404_and_an_enterprise_policy_is_refused(client, person, answers):
    client.force_login(person.user)
    assert client.post(reverse("person_claim_policy", args=["nope"])).status_code == 404
