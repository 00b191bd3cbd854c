"""Scoped by default: an enterprise member sees only their enterprises, an official their
district's (or the city's), by page or by API, and guessing a code reveals nothing."""

import pytest
from django.urls import reverse

from tests.factories import AuditorFactory, EnterpriseFactory, district

pytestmark = pytest.mark.django_db


def api_codes(api_client, user, **params):
    api_client.force_authenticate(user)
    response = api_client.get(reverse("v1:enterprise-list"), params)
    assert response.status_code == 200
    return {row["uscc"] for row in response.json()["results"]}


def page_codes(client, user):
    client.force_login(user)
    response = client.get(reverse("enterprises:list"))
    assert response.status_code == 200
    return {e.uscc for e in response.context["page"].object_list}


def test_member_lists_only_their_own_enterprise(
    client, api_client, enterprise, member, other_enterprise
):
    assert api_codes(api_client, member) == {enterprise.uscc}
    assert page_codes(client, member) == {enterprise.uscc}


@pytest.mark.parametrize("route", ["enterprises:detail", "enterprises:contact_edit"])
def test_member_gets_404_for_another_enterprise_page(client, member, other_enterprise, route):
    client.force_login(member)
    response = client.get(reverse(route, args=[other_enterprise.uscc]))
    assert response.status_code == 404


def test_member_gets_404_for_another_enterprise_by_api(api_client, member, other_enterprise):
    api_client.force_authenticate(member)
    url = reverse("v1:enterprise-detail", args=[other_enterprise.uscc])
    assert api_client.get(url).status_code == 404
    put = api_client.put(
        url + "contact/",
        {"contact_phone": "13900000000", "bank_name": "X", "bank_account": "62220000000000"},
        format="json",
    )
    assert put.status_code == 404
    other_enterprise.refresh_from_db()
    assert other_enterprise.contact_phone != "13900000000"


def test_guessing_codes_is_indistinguishable_from_a_missing_enterprise(
    client, api_client, member, other_enterprise
):
    """Same answer for 'exists but not yours' and 'does not exist': nothing to enumerate."""
    api_client.force_authenticate(member)
    client.force_login(member)
    made_up = "91330100716105852F"
    answers = set()
    for code in (other_enterprise.uscc, made_up, "1", "NOT-A-CODE"):
        api = api_client.get(f"/api/v1/enterprises/{code}/")
        page = client.get(f"/enterprises/{code}/")
        assert api.status_code == 404, code
        assert page.status_code == 404, code
        main = page.content.split(b"<main")[1].split(b"</main>")[0]
        answers.add((api.content, main))
    assert len(answers) == 1  # byte for byte the same, whatever was guessed


def test_filtering_cannot_widen_a_members_scope(api_client, member, other_enterprise):
    assert api_codes(api_client, member, q=other_enterprise.uscc) == set()
    assert api_codes(api_client, member, district="xihu") == {member.enterprises.get().uscc}


def test_district_official_sees_their_district_only(client, api_client, official_xihu):
    in_xihu = EnterpriseFactory(district=district("xihu"))
    in_binjiang = EnterpriseFactory(district=district("binjiang"))
    assert api_codes(api_client, official_xihu) == {in_xihu.uscc}
    assert page_codes(client, official_xihu) == {in_xihu.uscc}
    client.force_login(official_xihu)
    assert client.get(reverse("enterprises:detail", args=[in_binjiang.uscc])).status_code == 404
    assert client.get(reverse("enterprises:detail", args=[in_xihu.uscc])).status_code == 200


def test_other_district_official_sees_the_other_district(api_client, official_binjiang):
    EnterpriseFactory(district=district("xihu"))
    in_binjiang = EnterpriseFactory(district=district("binjiang"))
    assert api_codes(api_client, official_binjiang) == {in_binjiang.uscc}


def test_city_wide_official_and_auditor_see_every_district(api_client, official_city):
    made = {EnterpriseFactory(district=district(code)).uscc for code in ("xihu", "jiande")}
    assert api_codes(api_client, official_city) == made
    assert api_codes(api_client, AuditorFactory()) == made


def test_officials_can_read_but_not_edit_an_enterprise(
    client, api_client, official_xihu, enterprise
):
    client.force_login(official_xihu)
    assert client.get(reverse("enterprises:detail", args=[enterprise.uscc])).status_code == 200
    assert (
        client.get(reverse("enterprises:contact_edit", args=[enterprise.uscc])).status_code == 403
    )
    api_client.force_authenticate(official_xihu)
    response = api_client.put(
        reverse("v1:enterprise-contact", args=[enterprise.uscc]),
        {"contact_phone": "", "bank_name": "", "bank_account": ""},
        format="json",
    )
    assert response.status_code == 403
    enterprise.refresh_from_db()
    assert enterprise.bank_account


def test_anonymous_is_sent_to_login_and_refused_by_api(client, api_client, enterprise):
    response = client.get(reverse("enterprises:detail", args=[enterprise.uscc]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert api_client.get(reverse("v1:enterprise-list")).status_code in (401, 403)


def test_workspace_is_for_officials_only(client, member, official_xihu, enterprise):
    client.force_login(member)
    assert client.get(reverse("official_workspace")).status_code == 403
    EnterpriseFactory(district=district("binjiang"))  # outside the official's district
    client.force_login(official_xihu)
    response = client.get(reverse("official_workspace"))
    assert response.status_code == 200
    assert response.context["enterprise_count"] == 1  # only `enterprise`, in Xihu


def test_bank_account_is_masked_for_every_reader(client, api_client, member, enterprise):
    api_client.force_authenticate(member)
    data = api_client.get(reverse("v1:enterprise-detail", args=[enterprise.uscc])).json()
    assert "bank_account" not in data
    assert data["bank_account_masked"].endswith(enterprise.bank_account[-4:])
    assert enterprise.bank_account not in str(data)
    client.force_login(member)
    page = client.get(reverse("enterprises:detail", args=[enterprise.uscc])).content.decode()
    assert enterprise.bank_account not in page
    assert enterprise.bank_account[-4:] in page


def test_home_page_lists_only_the_members_own_enterprises(
    client, member, enterprise, other_enterprise
):
    client.force_login(member)
    response = client.get(reverse("home"))
    assert [e.uscc for e in response.context["my_enterprises"]] == [enterprise.uscc]
    assert other_enterprise.name not in response.content.decode()
