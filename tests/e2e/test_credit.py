"""Credit in a real browser (English pages): an enterprise sees its grade and why, and
applies to repair a penalty; the department's official approves it from the queue."""

from datetime import date, timedelta

import pytest

from credit.records.models import RecordKind, RecordStatus
from credit.records.services import add_record
from credit.repair.models import RepairApplication
from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of
from tests.factories import district as district_named

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture
def english(browser, live_server):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    yield page
    context.close()


def log_in(page, username: str) -> None:
    from tests.factories import PASSWORD

    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_an_enterprise_sees_its_grade_and_applies_for_repair(english, browser, live_server):
    page = english
    enterprise = EnterpriseFactory(name="Hangzhou Tea Traders", district=district_named("xihu"))
    member = member_of(enterprise)
    official = OfficialFactory(department=department("market"), district=None)
    record = add_record(
        enterprise=enterprise,
        kind=RecordKind.ADMINISTRATIVE_PENALTY,
        severity="general",
        title="Trading beyond the licensed scope",
        actor=official,
        occurred_on=date.today() - timedelta(days=120),
    )
    log_in(page, member.username)
    page.goto(f"{page.base_url}/credit/enterprises/{enterprise.uscc}/")
    assert page.get_by_text("Trading beyond the licensed scope").first.is_visible()
    assert page.get_by_text("score").first.is_visible()
    page.get_by_role("link", name="Apply for repair").first.click()
    page.wait_for_url(f"**/credit/records/{record.pk}/repair/")
    page.get_by_label("How the conduct was corrected (evidence)").fill(
        "Business licence extended to cover the activity; fine paid."
    )
    page.get_by_label("I accept the credit commitment below on behalf of the enterprise.").check()
    page.get_by_role("button", name="Apply for repair").click()
    page.wait_for_url("**/credit/repairs/")
    assert page.locator("table").get_by_text("Awaiting a decision").is_visible()
    application = RepairApplication.objects.get(record=record)

    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    officer = context.new_page()
    officer.set_default_timeout(15_000)
    officer.base_url = live_server.url
    log_in(officer, official.username)
    officer.goto(officer.base_url + "/credit/repairs/?status=pending")
    form = officer.locator(f"form[action='/credit/repairs/{application.pk}/decide/']")
    form.get_by_label("Decision").select_option("approve")
    form.get_by_role("button", name="Decide").click()
    officer.wait_for_load_state()
    assert officer.get_by_text("Repair application: Approved.").first.is_visible()
    context.close()
    record.refresh_from_db()
    assert record.status == RecordStatus.REPAIRED


def test_a_commitment_s_hash_wraps_on_a_phone(browser, live_server):
    """The SHA-256 of the accepted text is one long word: at 390 px it wraps inside its
    card and the page does not scroll sideways (it was 674 px wide)."""
    from datetime import timedelta as days

    from django.utils import timezone

    from credit.commitments.services import current_notice, make_commitment

    enterprise = EnterpriseFactory(district=district_named("xihu"))
    member = member_of(enterprise)
    commitment = make_commitment(
        enterprise=enterprise, accepted_by=member, notice=current_notice("approval-item"),
        subject_kind="approval_item", subject_ref="approvals.item:42",
        verify_what="现场核查生产条件", verify_by=timezone.now() + days(days=20),
        department=department("market"),
    )  # fmt: skip
    context = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    try:
        log_in(page, member.username)
        page.goto(f"{page.base_url}/credit/commitments/{commitment.pk}/")
        assert page.get_by_text(commitment.text_sha256).is_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width} px wide at 390 px"
    finally:
        context.close()
