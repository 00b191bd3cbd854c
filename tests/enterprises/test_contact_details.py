"""An enterprise keeps its contact and bank details current; bad input loses nothing."""

import pytest
from django.urls import reverse
from django.utils import translation

from qinqing.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

GOOD = {
    "contact_phone": "0571-87654321",
    "bank_name": "浙商银行",
    "bank_account": "6222 0000 1111 2222 333",
}


def test_member_changes_details_through_the_page(client, member, enterprise):
    client.force_login(member)
    url = reverse("enterprises:contact_edit", args=[enterprise.uscc])
    response = client.post(url, GOOD, follow=True)
    assert response.redirect_chain[-1][0] == reverse("enterprises:detail", args=[enterprise.uscc])
    enterprise.refresh_from_db()
    assert enterprise.bank_account == "6222000011112222333"  # spaces are not part of it
    assert enterprise.contact_phone == "0571-87654321"
    assert "2333" in response.content.decode()  # confirmation shows the masked account


def test_change_is_audited_without_the_full_account_number(client, member, enterprise):
    client.force_login(member)
    client.post(
        reverse("enterprises:contact_edit", args=[enterprise.uscc]),
        GOOD,
        HTTP_X_REQUEST_ID="req-contact-0001",
    )
    event = AuditEvent.objects.get(action="enterprise.contact_updated")
    assert event.actor == member
    assert event.object_id == str(enterprise.pk)
    assert event.request_id == "req-contact-0001"
    assert set(event.after) == {"contact_phone", "bank_name", "bank_account"}
    assert "6222000011112222333" not in str(event.before) + str(event.after)
    assert event.after["bank_account"].endswith("2333")


def test_saving_unchanged_details_writes_no_event(client, member, enterprise):
    client.force_login(member)
    same = {
        "contact_phone": enterprise.contact_phone,
        "bank_name": enterprise.bank_name,
        "bank_account": enterprise.bank_account,
    }
    client.post(reverse("enterprises:contact_edit", args=[enterprise.uscc]), same)
    assert not AuditEvent.objects.filter(action="enterprise.contact_updated").exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({**GOOD, "bank_account": "12ab"}, "bank_account", "8 to 30 digits"),
        ({**GOOD, "contact_phone": "12345"}, "contact_phone", "mobile number"),
        ({**GOOD, "bank_name": ""}, "bank_name", "required"),
        ({**GOOD, "contact_phone": "   "}, "contact_phone", "required"),
    ],
)
def test_page_shows_field_errors_and_changes_nothing(
    client, member, enterprise, data, field, message
):
    before = (enterprise.contact_phone, enterprise.bank_name, enterprise.bank_account)
    client.force_login(member)
    response = client.post(
        reverse("enterprises:contact_edit", args=[enterprise.uscc]),
        data,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    with translation.override("en"):
        assert message in " ".join(response.context["form"].errors[field])
    assert "There is a problem" in response.content.decode()
    enterprise.refresh_from_db()
    assert (enterprise.contact_phone, enterprise.bank_name, enterprise.bank_account) == before
    assert not AuditEvent.objects.exists()


def test_api_put_changes_details(api_client, member, enterprise):
    api_client.force_authenticate(member)
    response = api_client.put(
        reverse("v1:enterprise-contact", args=[enterprise.uscc]), GOOD, format="json"
    )
    assert response.status_code == 200
    assert response.json()["bank_account_masked"] == "***************2333"
    enterprise.refresh_from_db()
    assert enterprise.bank_name == "浙商银行"


def test_api_reports_errors_by_field(api_client, member, enterprise):
    api_client.force_authenticate(member)
    response = api_client.put(
        reverse("v1:enterprise-contact", args=[enterprise.uscc]),
        {**GOOD, "bank_account": "12", "contact_phone": "x"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    body = response.json()["fields"]
    assert set(body) == {"bank_account", "contact_phone"}
    assert "8 to 30 digits" in body["bank_account"][0]


def test_errors_are_in_the_users_language(api_client, member, enterprise):
    api_client.force_authenticate(member)
    response = api_client.put(
        reverse("v1:enterprise-contact", args=[enterprise.uscc]),
        {**GOOD, "bank_account": "12"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-Hans",
    )
    assert response.status_code == 400
    assert "银行账号" in response.json()["fields"]["bank_account"][0]


def test_empty_account_keeps_the_one_on_record(client, member, enterprise):
    """The page never shows the full number, so changing the phone must not need it."""
    client.force_login(member)
    account = enterprise.bank_account
    response = client.post(
        reverse("enterprises:contact_edit", args=[enterprise.uscc]),
        {**GOOD, "bank_account": ""},
    )
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.bank_account == account
    assert enterprise.contact_phone == "0571-87654321"
    event = AuditEvent.objects.get(action="enterprise.contact_updated")
    assert "bank_account" not in event.after


def test_empty_account_is_refused_when_none_is_on_record(client, member, enterprise):
    enterprise.bank_account = ""
    enterprise.bank_name = ""
    enterprise.save()
    client.force_login(member)
    response = client.post(
        reverse("enterprises:contact_edit", args=[enterprise.uscc]),
        {**GOOD, "bank_account": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    with translation.override("en"):
        assert "none is on record" in str(response.context["form"].errors["bank_account"])
    enterprise.refresh_from_db()
    assert enterprise.contact_phone != "0571-87654321"  # nothing half-written


def test_a_post_without_the_fields_changes_nothing(client, member, enterprise):
    before = (enterprise.contact_phone, enterprise.bank_name, enterprise.bank_account)
    client.force_login(member)
    response = client.post(
        reverse("enterprises:contact_edit", args=[enterprise.uscc]),
        data=b'{"contact_phone": ""}',
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    enterprise.refresh_from_db()
    assert (enterprise.contact_phone, enterprise.bank_name, enterprise.bank_account) == before


def test_api_put_with_missing_fields_is_a_400_naming_them(api_client, member, enterprise):
    api_client.force_authenticate(member)
    response = api_client.put(
        reverse("v1:enterprise-contact", args=[enterprise.uscc]),
        {"bank_name": "X"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"contact_phone", "bank_account"}
