"""The employee in a real browser (issue #26): logs in, finds the rent subsidy under "My
subsidies", reads why they qualified (each fact, the department that holds it, the one
about their employer) and where the money went (the reference, the bank account masked),
in the nav alone (no second row of tabs)."""

import pytest

from subsidies.claims import submit_claim
from subsidies.models import Claim, ClaimStatus
from tests.e2e.test_approvals import log_in
from tests.persons.conftest import NUMBER, person_login, register  # noqa: F401 - fixture
from tests.persons.test_pages_qualify import answers, publish_rent  # noqa: F401 - fixture


@pytest.fixture
def english(browser, live_server):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    yield page
    context.close()


pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


def test_the_employee_sees_the_rent_subsidy_its_reasons_and_its_payment(english, answers):  # noqa: F811
    page = english
    policy = publish_rent(mode="automatic")
    person, user = person_login(NUMBER, "陈小青")
    user.username = "chenxq"
    user.save()
    claim, _created = submit_claim(policy=policy, actor=user, person=person)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID  # checked and paid at once (embedded mode)

    log_in(page, "chenxq")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="My subsidies").click()
    page.wait_for_url("**/me/subsidies/")
    assert page.locator(".person-nav").count() == 0  # the nav is enough
    row = page.locator("table.person-claims tbody tr").first
    assert "Employee rent subsidy" in row.inner_text()
    assert "¥500.00" in row.inner_text() and "Paid into your account." in row.inner_text()
    reference = Claim.objects.get(pk=claim.pk).disbursement.reference
    assert reference in row.inner_text() and "3445" in row.inner_text()
    assert "6222020200112233445" not in page.content()

    row.get_by_role("link", name="Employee rent subsidy").click()
    page.wait_for_url(f"**/me/subsidies/{claim.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Employee rent subsidy"
    steps = page.locator("ol.steps").inner_text()
    assert "Paid" in steps
    why = page.locator("section", has=page.get_by_role("heading", name="Why"))
    text = why.inner_text()
    assert "Insured here 6 months" in text and "Months paid with this employer" in text
    assert "Owns a home in the city" in text and "The employer is not on the black list" in text
    assert "a fact about your employer" in text
    assert why.get_by_role("link", name="Dispute this fact").count() == 2
    payment = page.locator("dl.receipt").inner_text()
    assert reference in payment and "***************3445" in payment
    assert NUMBER not in page.content()
