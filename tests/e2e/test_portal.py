"""A person in a real browser: logs in, reads their enterprise, corrects a mistake, switches
language; an official sees their workspace; nobody sees what is not theirs."""

import pytest

from tests.factories import PASSWORD, EnterpriseFactory, district, member_of
from tests.subsidies.test_claims import officials_pair, policy  # noqa: F401 - fixtures

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


def log_in(page, username: str) -> None:
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_enterprise_member_corrects_bank_details(page):
    enterprise = EnterpriseFactory(name="杭州亲清示范科技有限公司")
    other = EnterpriseFactory(name="杭州别家科技有限公司")
    member_of(enterprise, username="wang")

    log_in(page, "wang")
    page.get_by_role("link", name="杭州亲清示范科技有限公司").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "杭州亲清示范科技有限公司"
    assert enterprise.bank_account not in page.content()  # masked

    page.get_by_role("link", name="修改联系方式和银行信息").click()
    page.get_by_label("银行账号").fill("12ab")
    page.get_by_role("button", name="保存").click()
    summary = page.get_by_role("alert")
    assert "8" in summary.inner_text() and "30" in summary.inner_text()
    # The error summary takes focus so a screen reader announces it.
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")

    page.get_by_label("银行账号").fill("6222 0000 1111 2222 333")
    page.get_by_role("button", name="保存").click()
    assert "已保存" in page.get_by_role("status").inner_text()
    assert "2333" in page.content()

    # Another enterprise's page does not exist for this user.
    response = page.goto(page.base_url + f"/enterprises/{other.uscc}/")
    assert response.status == 404


def test_language_switch_keeps_the_page(page):
    enterprise = EnterpriseFactory()
    member_of(enterprise, username="li")
    log_in(page, "li")
    page.goto(page.base_url + f"/enterprises/{enterprise.uscc}/")
    # The switch posts and comes back to the same address: wait for the page in the new
    # language (the address matches before the reload as well as after it). Imported
    # here as tests/e2e/conftest.py imports Playwright: only when a browser test runs.
    from playwright.sync_api import expect

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url.endswith(f"/enterprises/{enterprise.uscc}/")
    expect(page.get_by_role("heading", name="Registration")).to_be_visible()
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", name="登记信息")).to_be_visible()


def test_district_official_filters_the_register_live(page):
    from tests.factories import OfficialFactory

    OfficialFactory(username="chen", district=district("xihu"))
    EnterpriseFactory(name="杭州西湖甲公司", district=district("xihu"))
    EnterpriseFactory(name="杭州西湖乙公司", district=district("xihu"))
    EnterpriseFactory(name="杭州滨江丙公司", district=district("binjiang"))

    log_in(page, "chen")
    page.wait_for_url("**/official/")
    assert page.locator(".big-number").inner_text() == "2"
    page.goto(page.base_url + "/enterprises/")
    rows = page.locator("table.data-table tbody tr")
    assert rows.count() == 2
    assert "滨江" not in page.locator("table.data-table").inner_text()
    page.get_by_label("名称或代码").fill("甲")
    # A function, not an expression: Playwright evals expressions in the page while polling,
    # which the Content-Security-Policy (no 'unsafe-eval') refuses.
    page.wait_for_function(
        "() => document.querySelectorAll('table.data-table tbody tr').length === 1"
    )
    assert "杭州西湖甲公司" in page.locator("#results").inner_text()
    assert "q=" in page.url  # the filtered view can be bookmarked


def test_an_enterprise_sees_who_read_its_data(page):
    from datahub.fetching.pipeline import fetch_facts
    from tests.factories import OfficialFactory

    enterprise = EnterpriseFactory(name="杭州透明示范有限公司")
    member_of(enterprise, username="zhao")
    official = OfficialFactory(display_name="市场监管 王科员")
    fetch_facts(enterprise, ["market.registration_status"], purpose="企业开办核验",
                requested_by=official)  # fmt: skip
    log_in(page, "zhao")
    page.get_by_role("link", name="杭州透明示范有限公司").first.click()
    page.get_by_role("link", name="查看数据调取记录").click()
    table = page.locator("table.data-table")
    assert "企业开办核验" in table.inner_text()
    assert "市场监管 王科员" in table.inner_text()
    assert "登记状态" in table.inner_text()


def test_an_enterprise_claims_a_subsidy_and_sees_it_paid(page, policy, monkeypatch):  # noqa: F811
    from qinqing.celery import app as celery_app

    # Tasks run in the live server's process: the browser watches the same claim move.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    enterprise = EnterpriseFactory(name="杭州即享示范有限公司")
    member_of(enterprise, username="qian")
    log_in(page, "qian")
    page.goto(page.base_url + "/policies/calculator/")
    page.get_by_role("button", name="立即申领").click()
    status = page.locator("#claim-status")
    status.get_by_text("已兑付").first.wait_for()
    assert "¥5,000.00" in status.inner_text()
    assert "HZT" in status.inner_text()  # the treasury's payment reference
