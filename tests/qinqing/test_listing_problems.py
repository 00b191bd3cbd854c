"""A bad filter says so on the page: a malformed code, a value that is no date, a
parameter the page does not know; and a code naming none of the user's enterprises."""

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from django.urls import reverse

from qinqing.listing import chosen
from tests.factories import CreditRecordFactory, EnterpriseFactory

pytestmark = pytest.mark.django_db


def test_a_malformed_code_on_the_credit_records_says_what_is_wrong(client, enterprise, member):
    CreditRecordFactory(enterprise=enterprise)
    client.force_login(member)
    page = client.get(
        reverse("credit:records"), {"uscc": "123"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "has 18 characters; this one has 3" in page
    assert "Nothing is listed until the filter" in page
    # Spaces and lower case are forgiven: the record is found.
    spaced = f"{enterprise.uscc[:9].lower()} {enterprise.uscc[9:]}"
    found = client.get(
        reverse("credit:records"), {"uscc": spaced}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "filter-problems" not in found and "error-message" not in found


def test_an_unknown_parameter_on_the_claims_page_is_not_silently_ignored(client, member):
    client.force_login(member)
    page = client.get(
        reverse("subsidies:claims"), {"date_from": "notadate"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "“date_from” is not a filter on this page and was ignored" in page
    bad_date = client.get(
        reverse("subsidies:claims"), {"since": "notadate"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Nothing is listed until the filter" in bad_date
    plain = client.get(
        reverse("subsidies:claims"), {"page": "1"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "filter-problems" not in plain


def test_an_unknown_code_names_the_enterprise_shown_instead(member):
    mine = [EnterpriseFactory(name="甲公司"), EnterpriseFactory(name="乙公司")]
    request = RequestFactory().get("/", {"uscc": "123"})
    request.session = {}
    request._messages = FallbackStorage(request)
    assert chosen(request, mine, param="uscc", key=lambda e: e.uscc) == mine[0]
    assert "None of your enterprises has the code “123”; showing 甲公司 instead." in [
        str(m) for m in get_messages(request)
    ]
    asked = RequestFactory().get("/", {"uscc": mine[1].uscc.lower()})
    assert chosen(asked, mine, param="uscc", key=lambda e: e.uscc) == mine[1]
