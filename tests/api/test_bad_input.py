"""Odd query strings, paths and form values: answered, never a 500 (bodies and methods on
every endpoint are in test_every_endpoint.py)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/enterprises/?page=abc",
        "/api/v1/enterprises/?page=99999",
        "/api/v1/enterprises/?page_size=-1",
        "/api/v1/enterprises/?size_class=gigantic",
        "/api/v1/enterprises/?district=atlantis",
        "/api/v1/enterprises/?ordering=password",
        "/api/v1/enterprises/" + "A" * 500 + "/",
        "/api/v1/districts/%E2%82%AC/",
    ],
)
def test_odd_query_strings_and_paths_never_500(api_client, member, url):
    api_client.force_authenticate(member)
    response = api_client.get(url)
    assert response.status_code < 500, (url, response.status_code)


def test_wrong_methods_are_405(api_client, member, enterprise):
    api_client.force_authenticate(member)
    assert api_client.post(reverse("v1:enterprise-list"), {}).status_code == 405
    assert (
        api_client.delete(reverse("v1:enterprise-detail", args=[enterprise.uscc])).status_code
        == 405
    )
    assert api_client.get(reverse("v1:token")).status_code == 405


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-3",
        "district=atlantis",
        "size_class=gigantic",
        "q=" + "x" * 3000,
        "industry_section=%E2%82%AC",
        "district=%F0%9F%99%82",
    ],
)
def test_list_page_with_odd_filters_still_renders(client, official_city, query):
    client.force_login(official_city)
    response = client.get(reverse("enterprises:list") + "?" + query)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url", ["/enterprises/?q=%00", "/enterprises/?industry_section=%00", "/api/v1/enterprises/%00/"]
)
def test_nul_bytes_in_the_address_are_a_400(client, official_city, url):
    """PostgreSQL cannot store NUL in text; such a request is refused before any query."""
    client.force_login(official_city)
    assert client.get(url).status_code == 400


def test_contact_form_with_garbage_fields_is_a_form_error(client, member, enterprise):
    client.force_login(member)
    response = client.post(
        reverse("enterprises:contact_edit", args=[enterprise.uscc]),
        {"contact_phone": "\x00" * 10, "bank_name": "x" * 1000, "bank_account": "🙂"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors


def test_login_with_garbage_is_a_form_error(client):
    response = client.post(reverse("accounts:login"), {"username": "\x00", "password": ""})
    assert response.status_code == 200
