"""Near-miss advice where the enterprise reads it: under each failed criterion in the
calculator (English and Chinese) and in the evaluate API as structured data."""

import re

import pytest
from django.urls import reverse

from policies.watches import start_watch
from subsidies.claims import submit_claim

from .watch_helpers import department_answers, publish_staff_policy, staff

pytestmark = pytest.mark.django_db


def advice_of(page) -> list[str]:
    html = page.content.decode()
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block)).strip()
            for block in re.findall(r'<div class="advice">(.*?)</div>', html, re.S)]  # fmt: skip


def test_the_calculator_shows_under_the_failed_criterion_what_would_meet_it_in_english(
    client, member, enterprise
):
    publish_staff_policy()
    client.force_login(member)
    with department_answers({enterprise.uscc: staff(6)}):
        page = client.get(reverse("policies:calculator"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    (advice,) = advice_of(page)
    assert advice == ("What would change this: If “Employees insured, this month” were at "
                      "least 10 persons, you would qualify; it is 6 persons now.")  # fmt: skip
    assert "Tell me when I qualify" in page.content.decode()


def test_the_calculator_shows_the_advice_in_chinese_with_the_facts_words_and_units(
    client, member, enterprise
):
    publish_staff_policy()
    client.force_login(member)
    with department_answers({enterprise.uscc: staff(6)}):
        page = client.get(reverse("policies:calculator"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    (advice,) = advice_of(page)
    assert "本月参保人数" in advice and "10 人" in advice and "6 人" in advice
    # The sentence itself is Chinese, not English around Chinese words (the catalogue has it).
    assert "至少为" in advice and "目前为" in advice and "were at least" not in advice
    assert "hrss.insured_employees" not in advice and "min_staff" not in advice


def test_no_advice_when_the_enterprise_qualifies(client, member, enterprise):
    publish_staff_policy()
    client.force_login(member)
    with department_answers({enterprise.uscc: staff(12)}):
        page = client.get(reverse("policies:calculator"), HTTP_ACCEPT_LANGUAGE="en")
    assert advice_of(page) == []
    assert "Tell me when I qualify" not in page.content.decode()


def test_the_evaluate_api_returns_the_advice_as_structured_data(api_client, member, enterprise):
    publish_staff_policy()
    api_client.force_authenticate(member)
    with department_answers({enterprise.uscc: staff(6)}):
        answer = api_client.get("/api/v1/policies/watch-jobs/evaluate/",
                                {"uscc": enterprise.uscc}, HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    body = answer.json()
    assert answer.status_code == 200 and body["status"] == "ineligible"
    (advice,) = body["advice"]
    assert advice["criteria"] == ["staff"] and advice["possible"] is True
    (change,) = advice["changes"]
    assert {key: change[key] for key in ("criterion", "fact", "current", "op", "needed")} == {
        "criterion": "staff", "fact": "hrss.insured_employees", "current": 6, "op": "ge",
        "needed": 10}  # fmt: skip
    assert "at least 10 persons" in change["text"]
    with department_answers({enterprise.uscc: staff(12)}):
        body = api_client.get("/api/v1/policies/watch-jobs/evaluate/",
                              {"uscc": enterprise.uscc}).json()  # fmt: skip
    assert body["status"] == "eligible" and body["advice"] == []


def test_the_api_schema_documents_the_advice_and_the_watch(api_client, member):
    api_client.force_authenticate(member)
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    if schema.status_code == 404:
        pytest.skip("no schema URL at /api/schema/")
    text = schema.content.decode()
    assert "AdviceChange" in text and "/api/v1/policies/{code}/watch/" in text


def test_an_ineligible_claims_page_says_what_would_change_it(
    client, member, enterprise, django_capture_on_commit_callbacks
):
    unreachable = {"min_staff": {"type": "integer", "values": [
        {"from": "2026-01-01", "value": 100000, "reference": "第三条"}]}}  # fmt: skip
    policy = publish_staff_policy("big-jobs", parameters=unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        claim, _created = submit_claim(enterprise=enterprise, policy=policy, actor=member)
    claim.refresh_from_db()
    assert claim.status == "ineligible"
    client.force_login(member)
    page = client.get(reverse("subsidies:claim", args=[claim.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "were at least 100,000 persons" in html
    assert reverse("policies:watch", args=["big-jobs"]) in html
    # Its progress ends where the claim ended, not with steps it will never reach.
    steps = re.findall(r'<ol class="steps">(.*?)</ol>', html, re.S)[0]
    assert re.findall(r"<li[^>]*>([^<]+)</li>", steps) == ["Submitted", "Checking", "Not eligible"]
    assert '<li class="ended" aria-current="step">Not eligible</li>' in steps
    assert "Paying" not in steps and "Paid" not in steps
    assert "Tell me when I qualify" in html
    # Asked once: the page says so and offers to stop, not to ask again.
    start_watch(member, enterprise, policy)
    again = client.get(reverse("subsidies:claim", args=[claim.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = again.content.decode()
    assert "You asked to be told when you qualify." in html and "Stop being told" in html
    assert "Tell me when I qualify" not in html
