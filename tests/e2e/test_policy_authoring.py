"""A policy authored in the portal, in a real browser (issue #21): an official creates a new
policy whose criteria have an `any` group, adds a wrong test case and deletes it, runs the
forecast and submits; a second official approves; the batch run pays; the version page
reads its rules in words and links to the run."""

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from datahub.extracts.refresh import refresh_extract
from policies.models import Policy, VersionStatus
from tests.factories import PASSWORD, EnterpriseFactory, OfficialFactory, department

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

BASIS = "第三条 参保职工不少于十人，或者参保职工不少于五百人的企业。\n第四条 依法登记且存续。"


@pytest.fixture
def new_context(browser, live_server) -> Iterator:
    """A fresh browser context (one per official), in English."""
    contexts = []

    def make():
        context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.base_url = live_server.url
        return page

    yield make
    for context in contexts:
        context.close()


def log_in(page, username: str) -> None:
    page.goto(page.base_url + "/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    # The page in English, whatever the browser asks for first.
    page.goto(page.base_url + "/policies/manage/")
    if page.locator("html").get_attribute("lang") != "en":
        page.get_by_role("button", name="English").click()
        page.wait_for_url("**/policies/manage/")


def fill_row(page, index: int, *, id: str, fact: str, op: str, value: str, clause: str,
             group: str = "") -> None:  # fmt: skip
    prefix = f"#id_criteria-{index}-"
    page.locator(prefix + "id").fill(id)
    page.locator(prefix + "label_zh").fill(f"条件{id}")
    page.locator(prefix + "label_en").fill(f"Condition {id}")
    page.locator(prefix + "clause").fill(clause)
    page.locator(prefix + "fact").select_option(fact)
    page.locator(prefix + "op").select_option(op)
    page.locator(prefix + "value").fill(value)
    if group:
        page.locator(prefix + "group").select_option(group)


def test_an_official_authors_a_policy_that_a_second_approves_and_the_batch_pays(new_context):
    today = date.today()
    EnterpriseFactory.create_batch(8)
    for code in ("hrss", "market"):
        refresh_extract(code, purpose="test: browser", as_of=today)
    OfficialFactory(department=department("hrss"), district=None, username="drafter")
    OfficialFactory(department=department("hrss"), district=None, username="checker")

    page = new_context()
    log_in(page, "drafter")
    page.get_by_role("link", name="New policy").click()
    page.locator("#id_code").fill("portal-jobs")
    page.locator("#id_title_zh").fill("门户稳岗补贴")
    page.locator("#id_title_en").fill("Portal job subsidy")
    page.locator("#id_summary_zh").fill("按参保人数补贴")
    page.locator("#id_summary_en").fill("Per insured employee")
    page.locator("#id_legal_basis_zh").fill(BASIS)
    page.locator("#id_benefit_type").select_option("employment_subsidy")
    page.locator("#id_delivery_mode").select_option("automatic")
    fill_row(page, 0, id="active", fact="market.registration_status", op="eq", value="active",
             clause="第四条")  # fmt: skip
    fill_row(page, 1, id="staff", fact="hrss.insured_employees", op="ge", value="10",
             clause="第三条", group="1")  # fmt: skip
    fill_row(page, 2, id="big", fact="hrss.insured_employees", op="ge", value="500",
             clause="第三条", group="1")  # fmt: skip
    page.locator("#id_groups-0-kind").select_option("any")
    page.locator("#id_valid_from").fill(today.isoformat())
    page.locator("#id_valid_until").fill((today + timedelta(days=60)).isoformat())
    page.locator("#id_budget").fill("100000000.00")
    page.locator("#id_claim_period").select_option("once")
    page.locator("#id_benefit").fill('{"amount": "5000.00"}')
    page.get_by_role("button", name="Create the policy").click()
    page.wait_for_url(re.compile(r".*/policies/manage/versions/\d+/$"))
    version = Policy.objects.get(code="portal-jobs").versions.get()
    assert version.criteria["all"][1] == {"any": [
        {"id": "staff", "label": {"zh": "条件staff", "en": "Condition staff"},
         "clause": "第三条", "fact": "hrss.insured_employees", "op": "ge", "value": 10},
        {"id": "big", "label": {"zh": "条件big", "en": "Condition big"}, "clause": "第三条",
         "fact": "hrss.insured_employees", "op": "ge", "value": 500},
    ]}  # fmt: skip

    # A wrong test case, added and then deleted on the page.
    page.locator("#id_case-name").fill("a wrong case")
    page.locator("#id_case-facts").fill('{"hrss.insured_employees": 3}')
    page.locator("#id_case-expected_criteria").fill('{"staff": true}')
    page.get_by_role("button", name="Add the test case").click()
    cases = page.locator("#test-cases")
    assert "a wrong case" in cases.inner_text() and "fails" in cases.inner_text()
    page.get_by_role("button", name="Delete a wrong case").click()
    page.wait_for_load_state()
    assert "a wrong case" not in page.content()
    page.get_by_role("button", name="Generate boundary cases").click()
    assert "at threshold 10 − 1" in page.locator("#test-cases").inner_text()

    # The forecast, broken down, then submitted.
    page.get_by_role("link", name="Forecast over every enterprise").click()
    for key in ("district", "industry", "size"):
        assert page.locator(f"#forecast-{key}").is_visible()
    assert "Budget" in page.locator("#forecast-district tfoot").inner_text()
    page.get_by_role("button", name="Submit for approval").click()
    page.wait_for_load_state()
    version.refresh_from_db()
    assert version.status == VersionStatus.AWAITING_APPROVAL

    # A second official approves; publication starts the batch run, which pays.
    second = new_context()
    log_in(second, "checker")
    second.goto(second.base_url + f"/policies/manage/versions/{version.pk}/")
    second.get_by_role("button", name="Approve and publish").click()
    second.wait_for_load_state()
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED

    # The version page: rules in words, each clause linked, and the batch run.
    rules = second.locator(".rules-words").first.inner_text()
    assert "Employees insured" in rules
    assert "≥ 10" in rules and "Any one of these" in rules
    assert '"fact"' not in second.content()
    clause_link = second.locator(".rules-words a[href='#clause-1']").first
    assert clause_link.inner_text() == "第三条"
    second.get_by_role("link", name="The batch run of this version").click()
    second.wait_for_url(re.compile(r".*/claims/batches/\d+/$"))
    progress = second.locator("#batch-progress")
    progress.get_by_text("Done").wait_for()
    paid = second.locator(".amount-paid").inner_text()
    assert paid.startswith("¥") and paid != "¥0.00"
    text = second.locator("main").inner_text()
    assert "a.m." not in text and "p.m." not in text
