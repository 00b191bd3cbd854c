"""The direct line in a real browser (English pages): an enterprise raises a request, an
official answers it from the queue, the enterprise rates the answer."""

import re

import pytest

from directline.models import Request, RequestStatus
from tests.directline.conftest import categories_installed
from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of
from tests.factories import district as district_named

from .test_approvals import log_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture
def english(browser, live_server):
    categories_installed()
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    yield page
    context.close()


def test_an_enterprise_raises_a_request_an_official_answers_and_it_is_rated(english):
    page = english
    enterprise = EnterpriseFactory(
        name="Hangzhou Direct Line Test", district=district_named("xihu")
    )
    user = member_of(enterprise)
    official = OfficialFactory(department=department("taxation"), district=None)

    log_in(page, user.username)
    page.goto(page.base_url + "/requests/new/")
    page.get_by_label("Category").select_option(label="Policy question")
    page.get_by_label("Subject").fill("发票无法开具")
    page.get_by_label("Description").fill("我们的增值税发票无法开具，请问如何处理？")
    page.get_by_role("button", name="Look for existing answers").click()
    page.wait_for_load_state()
    assert page.get_by_text("No published answer matches").is_visible()
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_url(re.compile(r"/requests/\d+/$"))
    request = Request.objects.get(enterprise=enterprise)
    assert request.department.code == "taxation"

    page.context.clear_cookies()
    log_in(page, official.username)
    page.goto(page.base_url + "/requests/queue/")
    page.get_by_role("link", name="发票无法开具").click()
    page.wait_for_url(re.compile(r"/requests/queue/\d+/$"))
    page.locator("#answer-text").fill("请登录电子税务局，在“发票使用”中申请增量。")
    page.get_by_role("button", name="Send the answer").click()
    page.wait_for_load_state()
    request.refresh_from_db()
    assert request.status == RequestStatus.ANSWERED

    page.context.clear_cookies()
    log_in(page, user.username)
    page.goto(page.base_url + f"/requests/{request.pk}/")
    assert page.get_by_text("请登录电子税务局").first.is_visible()
    page.get_by_label("Satisfied", exact=True).check()
    page.get_by_role("button", name="Send the rating").click()
    page.wait_for_load_state()
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED and request.rating == "satisfied"
