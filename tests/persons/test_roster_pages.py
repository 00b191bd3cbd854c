# ruff: noqa: F811 - the fixtures imported from test_pay are named as parameters
"""The employer's roster pages (issue #26): the list of policies with employees to
confirm, the roster with a box per employee, the confirmation page; nothing personal
beyond the roster's columns, in both languages."""

from __future__ import annotations

import pytest
from django.test import Client

from policies.models import DeliveryMode
from subsidies.models import Claim, ClaimStatus
from tests.factories import OfficialFactory, department, member_of

from .test_pay import person_version, staff, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def page(staff):
    version = person_version(DeliveryMode.CONFIRM)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(member_of(staff.first))
    return version, client, f"/claims/rosters/{version.pk}/{staff.first.pk}/"


def test_the_member_sees_the_roster_and_nothing_more(staff, page, world):
    _version, client, url = page
    listing = client.get("/claims/rosters/").content.decode()
    assert url in listing and "Employee rent subsidy" in listing
    body = client.get(url).content.decode()
    chen, number = staff.people["陈小青"]
    assert "陈小青" in body and chen.id_masked in body and number not in body
    # No amount, no account: only what confirming needs. (The amount as a page shows it:
    # a bare "800" is also in any address whose id holds those digits.)
    assert "800.00" not in body and "¥800" not in body
    assert world.people[chen.pk]["account"] not in body
    assert "钱七" not in body  # another employer's person
    # Nor through the claims list or the API: the persons' claims are not the employer's.
    assert "陈小青" not in client.get("/claims/").content.decode()
    listed = client.get("/api/v1/claims/")
    assert listed.status_code == 200 and listed.json()["count"] == 0
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(member_of(staff.second))
    assert other.get(url).status_code in (403, 404)


def test_the_policys_official_reads_the_roster_page_and_may_not_confirm(staff, page):
    version, _client, url = page
    official = Client(HTTP_ACCEPT_LANGUAGE="en")
    official.force_login(OfficialFactory(department=department("hrss"), district=None))
    answer = official.get(url)
    assert answer.status_code == 200
    body = answer.content.decode()
    assert "陈小青" in body and "Read only" in body
    assert 'name="remove"' not in body and "/confirm/" not in body  # nothing to tick or send
    lin = staff.people["林大山"][0]
    for data in ({"remove": [str(lin.pk)], "reason": "left", "confirmed": "1"}, {"confirmed": "1"}):
        assert official.post(url + "confirm/", data).status_code == 403
    assert set(Claim.objects.filter(version=version).values_list("status", flat=True)) == {
        ClaimStatus.OFFERED}  # fmt: skip
    # Another department's official: not theirs to see.
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(OfficialFactory(department=department("market"), district=None))
    assert other.get(url).status_code in (403, 404)
    assert other.post(url + "confirm/", {"confirmed": "1"}).status_code in (403, 404)


def test_removing_and_confirming_through_the_pages(staff, page):
    version, client, url = page
    lin = staff.people["林大山"][0]
    asked = client.post(url + "confirm/", {"remove": [str(lin.pk)], "reason": "left in May"})
    assert asked.status_code == 200
    text = asked.content.decode()
    assert "林大山" in text and "left in May" in text
    done = client.post(url + "confirm/", {"remove": [str(lin.pk)], "reason": "left in May",
                                          "confirmed": "1"})  # fmt: skip
    assert done.status_code == 302
    claims = Claim.objects.filter(version=version, enterprise=staff.first)
    assert claims.get(person=lin).status == ClaimStatus.WITHDRAWN
    assert claims.filter(status=ClaimStatus.PAID).count() == 2


def test_an_id_not_on_the_roster_is_refused_with_a_clear_message(staff, page):
    version, client, url = page
    qian = staff.people["钱七"][0]
    for bad in ([str(qian.pk)], ["abc"], ["99999999999999999999999"]):
        answer = client.post(url + "confirm/", {"remove": bad, "reason": "x", "confirmed": "1"})
        assert answer.status_code == 400
        assert "Only the persons this roster lists can be removed." in answer.content.decode()
    missing = client.post(url + "confirm/", {"remove": [str(staff.people["王五"][0].pk)],
                                             "confirmed": "1"})  # fmt: skip
    assert missing.status_code == 400
    assert set(Claim.objects.filter(version=version).values_list("status", flat=True)) == {
        ClaimStatus.OFFERED}  # fmt: skip
