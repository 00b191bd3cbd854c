"""The main navigation at 1,280 px keeps to one line in both languages (in English "API"
was left alone on a second line), and nothing on the page is wider than the window at
1,280 or 390 px (issue 20)."""

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import (
    AuditorFactory,
    EnterpriseFactory,
    OfficialFactory,
    department,
    member_of,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

NAV_ROWS = """() => new Set([...document.querySelectorAll('.site-nav li')]
    .map(li => Math.round(li.getBoundingClientRect().top))).size"""
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def _users():
    enterprise = EnterpriseFactory(name="杭州导航示范有限公司")
    return {
        "enterprise": member_of(enterprise, username="nav-member"),
        "official": OfficialFactory(department=department("hrss"), username="nav-official",
                                    is_staff=True),
        "auditor": AuditorFactory(username="nav-auditor"),
    }  # fmt: skip


def _open(browser, live_server, user, locale: str, width: int, path: str = "/"):
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])  # fmt: skip
    page = context.new_page()
    page.goto(live_server.url + path)
    return context, page


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_navigation_keeps_to_one_line_at_1280_and_never_overflows(browser, live_server, locale):
    for role, user in _users().items():
        for width in (1280, 390):
            context, page = _open(browser, live_server, user, locale, width)
            try:
                assert page.locator(".site-nav li").count() >= 6, role
                assert page.evaluate(OVERFLOW) <= 0, (role, locale, width)
                if width == 1280:
                    assert page.evaluate(NAV_ROWS) == 1, (role, locale)
            finally:
                context.close()
