"""The officials' dashboards in a real browser: a city-wide official opens the overview and
sees the charts drawn (ECharts, served by the app), the headline numbers formatted, the
table beside each chart, and not one Content-Security-Policy violation. Screenshots of the
page, wide and at 375 px, are kept in var/artefacts/."""

from pathlib import Path

import pytest
from django.conf import settings

from approvals.models import ServicePackage
from dashboards.refresh import refresh_all
from directline.models import Category
from directline.services.raising import raise_request
from subsidies.claims import submit_claim
from subsidies.models import ClaimStatus
from tests.approvals.conftest import FIVE_ITEM_PROJECT, _packages_installed, submitted_project
from tests.directline.conftest import categories_installed
from tests.factories import PASSWORD, EnterpriseFactory, OfficialFactory, department, member_of
from tests.factories import district as district_named
from tests.subsidies.test_claims import officials_pair, policy  # noqa: F401 - fixtures

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

ARTEFACTS = Path(settings.BASE_DIR) / "var" / "artefacts"
# Collects what the page's Content-Security-Policy refused, before any script of the page runs.
WATCH_CSP = (
    "window.__cspViolations = [];"
    "document.addEventListener('securitypolicyviolation', function (e) {"
    "  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI); });"
)


@pytest.fixture
def city(policy):  # noqa: F811 - the fixture imported above
    """Three claims paid (5,000 yuan each), a five-item project approval under way, two
    enterprise requests; the tallies refreshed."""
    for name in ("杭州青晴茶业有限公司", "杭州青晴机电有限公司", "杭州青晴软件有限公司"):
        enterprise = EnterpriseFactory(name=name, district=district_named("xihu"))
        claim, _created = submit_claim(
            enterprise=enterprise, policy=policy, actor=member_of(enterprise)
        )
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.PAID
    _packages_installed()
    package = ServicePackage.objects.get(code="industrial-project")
    applicant_enterprise = EnterpriseFactory(district=district_named("xihu"))
    submitted_project((member_of(applicant_enterprise), applicant_enterprise), package,
                      FIVE_ITEM_PROJECT)  # fmt: skip
    categories_installed()
    asker = EnterpriseFactory(district=district_named("binjiang"))
    for subject in ("发票开具问题", "社保缴费基数咨询"):
        raise_request(
            actor=member_of(asker),
            enterprise=asker,
            category=Category.objects.get(code="policy_question"),
            subject=subject,
            description="请问如何办理？",
        )
    refresh_all()


def city_official():
    """An official of a department that watches the whole city (the General Office)."""
    return OfficialFactory(
        department=department(settings.DASHBOARD_CITY_DEPARTMENTS[0]), district=None
    )


def log_in(page, username: str) -> None:
    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def open_overview(page) -> list[str]:
    """Open the overview and wait until every chart is drawn; the console's errors."""
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(WATCH_CSP)
    page.goto(page.base_url + "/dashboards/")
    page.wait_for_load_state("networkidle")
    # A function, not an expression: Playwright would poll an expression with eval(), which
    # the page's policy (no 'unsafe-eval') refuses.
    page.wait_for_function(
        "() => document.querySelectorAll('.chart').length > 0 && "
        "[...document.querySelectorAll('.chart')].every(c => c.querySelector('canvas, svg'))"
    )
    page.wait_for_timeout(1200)  # the charts' entry animation
    return errors


def test_an_official_sees_the_overview_charts_drawn_under_the_policy(page, city, browser):
    log_in(page, city_official().username)
    errors = open_overview(page)

    charts = page.locator(".chart")
    assert charts.count() >= 4
    drawn = page.locator(".chart[data-rendered] canvas, .chart[data-rendered] svg")
    assert drawn.count() >= charts.count()
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box["width"] > 200 and box["height"] > 150

    # The headline number: three payments of 5,000 yuan.
    disbursed = page.locator("[data-kpi='disbursed'] dd")
    assert disbursed.inner_text().strip() == "¥15,000.00"
    assert page.locator("[data-kpi='payments'] dd").inner_text().strip() == "3"

    # The table beside the chart holds its rows, formatted like the tiles.
    by_month = page.locator("#figure-funds_by_month table tbody tr")
    assert by_month.count() == 1
    cells = by_month.first.locator("th, td").all_inner_texts()
    assert cells[1:] == ["¥15,000.00", "3"]
    by_state = page.locator("#figure-claims_by_state table tbody tr")
    assert by_state.count() >= 1
    assert page.locator("#figure-claims_by_state table caption").count() == 1
    assert page.locator("#figure-items_by_department table tbody tr").count() >= 1

    # Hover a chart: the tooltip is written with classes, never a style attribute.
    box = page.locator("#figure-funds_by_month .chart").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(400)

    assert page.evaluate("window.__cspViolations") == []
    assert [e for e in errors if "Content Security Policy" in e or "Refused" in e] == []
    assert [e for e in errors if "favicon" not in e and "404" not in e] == []

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "dashboards-overview.png"), full_page=True)

    narrow = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 812})
    phone = narrow.new_page()
    phone.set_default_timeout(10_000)
    phone.base_url = page.base_url
    log_in(phone, city_official().username)
    phone_errors = open_overview(phone)
    # Nothing wider than the screen: the page does not scroll sideways.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert phone.locator("[data-kpi='disbursed'] dd").inner_text().strip() == "¥15,000.00"
    assert phone.evaluate("window.__cspViolations") == []
    assert [e for e in phone_errors if "Content Security Policy" in e] == []
    phone.screenshot(path=str(ARTEFACTS / "dashboards-overview-375.png"), full_page=True)
    narrow.close()
