"""Exactly one navigation link is the current page (on the calculator both "Policies" and
"Policy calculator" said so): the longest link the path lies under (issue 20)."""

import re

import pytest
from django.urls import reverse

from qinqing.context_processors import current_link
from tests.factories import EnterpriseFactory, member_of

pytestmark = pytest.mark.django_db


def _navigation(html: str) -> str:
    """The header's navigation (main and tools), not breadcrumbs in the page."""
    return html.split('<main id="main"', 1)[0]


def test_on_the_calculator_only_the_calculator_is_current(client):
    client.force_login(member_of(EnterpriseFactory()))
    html = _navigation(client.get(reverse("policies:calculator"),
                                  HTTP_ACCEPT_LANGUAGE="en").content.decode())  # fmt: skip
    current = re.findall(r'<a href="([^"]+)" aria-current="page"', html)
    assert current == [reverse("policies:calculator")]


def test_the_home_page_and_a_policy_page_each_have_one_current_link(client):
    client.force_login(member_of(EnterpriseFactory()))
    html = _navigation(client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert re.findall(r'<a href="([^"]+)" aria-current="page"', html) == ["/"]


def test_the_longest_link_the_path_lies_under_is_current():
    urls = ["/", "/policies/", "/policies/calculator/", "/api/docs/"]
    assert current_link(urls, "/policies/calculator/") == "/policies/calculator/"
    assert current_link(urls, "/policies/jobs/") == "/policies/"
    assert current_link(urls, "/") == "/"
    assert current_link(urls, "/claims/") is None
