"""Approvals in a real browser (English pages): a five-item project approved on commitments,
an official's queue, and a new enterprise registered by its founder."""

import re

import pytest

from approvals.models import Application, ApplicationStatus, Item
from enterprises.models import Enterprise
from tests.approvals.conftest import ESTABLISHMENT, FIVE_ITEM_PROJECT, _packages_installed
from tests.factories import (
    PASSWORD,
    EnterpriseFactory,
    OfficialFactory,
    UserFactory,
    department,
    member_of,
)
from tests.factories import district as district_named

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]
ARTEFACTS = "var/test-artefacts"


@pytest.fixture
def english(browser, live_server):
    _packages_installed()
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    yield page
    context.close()


def log_in(page, username: str) -> None:
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def fill_sheet(page, answers: dict) -> None:
    """Types each answer into its field (inputs named after the sheet keys)."""
    for key, value in answers.items():
        field = page.locator(f"[name='{key}']")
        if field.count() == 0:
            continue
        tag = field.first.evaluate("element => element.tagName.toLowerCase()")
        kind = field.first.get_attribute("type")
        if tag == "select":
            field.first.select_option(str(value))
        elif kind == "radio":
            page.locator(f"[name='{key}'][value='{str(value).lower()}']").check()
        else:
            field.first.fill(str(value))


def test_an_enterprise_submits_a_five_item_project_on_commitments_and_sees_it_approved(english):
    page = english
    enterprise = EnterpriseFactory(name="Hangzhou Motor Works", district=district_named("xihu"))
    user = member_of(enterprise)
    log_in(page, user.username)
    page.goto(page.base_url + "/approvals/")
    page.locator("form[action='/approvals/start/industrial-project/']").get_by_role(
        "button", name="Start"
    ).click()
    page.wait_for_url(re.compile(r"/approvals/\d+/edit/$"))
    fill_sheet(page, {**FIVE_ITEM_PROJECT, "hazardous_chemicals": "false"})
    page.get_by_role("button", name="Save and check the answers").click()
    page.wait_for_url(re.compile(r"/approvals/\d+/review/$"))
    for department_item in ("Investment project filing", "Construction planning permit",
                            "Construction permit", "Environmental impact approval",
                            "Fire safety design review"):  # fmt: skip
        assert page.get_by_text(department_item).first.is_visible()
    page.get_by_role("link", name="Submit and approve on commitment…").click()
    assert page.get_by_role("heading", name="If the commitment is untrue").is_visible()
    page.locator("#accept").check()
    page.get_by_role("button", name="Sign and submit").click()
    page.wait_for_url(re.compile(r"/approvals/\d+/$"))
    application = Application.objects.get(enterprise=enterprise)
    assert application.status == ApplicationStatus.APPROVED
    assert page.get_by_text("Every item is approved").first.is_visible()
    page.screenshot(path=f"{ARTEFACTS}/approvals-on-commitment.png", full_page=True)


def test_an_official_reviews_an_item_from_the_queue(english):
    from approvals.models import ServicePackage
    from approvals.services.applications import save_answers, start_application, submit_application

    enterprise = EnterpriseFactory(name="Hangzhou Queue Test", district=district_named("xihu"))
    user = member_of(enterprise)
    package = ServicePackage.objects.get(code="industrial-project")
    draft = start_application(package=package, actor=user, enterprise=enterprise)
    save_answers(draft.pk, actor=user, answers=FIVE_ITEM_PROJECT)
    submit_application(draft.pk, actor=user)
    official = OfficialFactory(department=department("ecology"))
    page = english
    log_in(page, official.username)
    page.goto(page.base_url + "/approvals/review/")
    queue = page.locator("table")
    assert "Environmental impact approval" in queue.inner_text()
    assert "Investment project filing" not in queue.inner_text()  # another department's
    page.get_by_role("link", name=FIVE_ITEM_PROJECT["project_name"]).first.click()
    page.wait_for_url(re.compile(r"/approvals/review/\d+/$"))
    page.get_by_role("link", name="Approve…").click()  # the confirmation page
    page.get_by_role("button", name="Approve and issue the permit").click()
    page.wait_for_load_state()
    item = Item.objects.get(application=draft, item_type__code="eia-approval")
    assert item.status == "approved"
    assert item.permit.number in page.content()


def test_a_person_registers_a_new_enterprise_and_logs_in_as_its_legal_representative(english):
    founder = UserFactory(username="founder-e2e")
    page = english
    log_in(page, founder.username)
    page.goto(page.base_url + "/approvals/")
    page.locator("form[action='/approvals/start/enterprise-establishment/']").get_by_role(
        "button", name="Start"
    ).click()
    page.wait_for_url(re.compile(r"/approvals/\d+/edit/$"))
    fill_sheet(page, ESTABLISHMENT)
    page.get_by_role("button", name="Save and check the answers").click()
    page.wait_for_url(re.compile(r"/approvals/\d+/review/$"))
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(re.compile(r"/approvals/\d+/$"))
    # The six departments decide automatically (the tasks ran in this process).
    enterprise = Enterprise.objects.get(name=ESTABLISHMENT["enterprise_name"])
    page.context.clear_cookies()
    log_in(page, founder.username)
    page.goto(page.base_url + f"/enterprises/{enterprise.uscc}/")
    assert page.get_by_role("heading", level=1).inner_text() == ESTABLISHMENT["enterprise_name"]
    assert enterprise.memberships.get().user == founder
