"""The register list: filters, pagination and live (htmx) updates that degrade gracefully."""

import pytest
from django.urls import reverse

from tests.factories import EnterpriseFactory, district

pytestmark = pytest.mark.django_db


@pytest.fixture
def official(client, official_city):
    client.force_login(official_city)
    return official_city


def test_filters_combine_and_pages_keep_them(client, official):
    for n in range(30):
        EnterpriseFactory(district=district("xihu" if n % 2 else "binjiang"), size_class="micro")
    EnterpriseFactory(district=district("xihu"), size_class="large")
    response = client.get(reverse("enterprises:list"), {"district": "xihu", "size_class": "micro"})
    page = response.context["page"]
    assert page.paginator.count == 15
    assert {e.district.code for e in page.object_list} == {"xihu"}
    assert "district=xihu" in response.context["query"] and "page" not in response.context["query"]


def test_search_by_exact_code_with_spaces_and_lower_case(client, official):
    wanted = EnterpriseFactory()
    EnterpriseFactory()
    spaced = " ".join([wanted.uscc[:6], wanted.uscc[6:]]).lower()
    response = client.get(reverse("enterprises:list"), {"q": spaced})
    assert [e.uscc for e in response.context["page"].object_list] == [wanted.uscc]


def test_htmx_gets_only_the_results_and_caches_keep_the_two_apart(client, official):
    EnterpriseFactory()
    partial = client.get(reverse("enterprises:list"), HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"data-table" in partial.content
    assert "HX-Request" in partial["Vary"]
    full = client.get(reverse("enterprises:list"))
    assert b"<html" in full.content and "HX-Request" in full["Vary"]


def test_history_restore_gets_the_whole_page(client, official):
    response = client.get(
        reverse("enterprises:list"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert b"<html" in response.content
