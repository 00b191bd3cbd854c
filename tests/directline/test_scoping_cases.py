"""The direct line under the one scoping rule (qinqing.scoping): an account switched off, a
department deactivated, an official moved between districts. Each sees and may act on
exactly what the rule says, in the reads and in the services."""

import pytest
from rest_framework.test import APIClient

from directline.selectors import requests_for
from directline.services.department_side import answer, ask_for_information, supply_information
from directline.services.enterprise_side import refuse_publication
from directline.services.refusals import NotAllowed
from tests.factories import OfficialFactory, district

pytestmark = pytest.mark.django_db


def _switch_off(user) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])


def _official_of(request, district_code=None):
    place = district(district_code) if district_code else request.district
    return OfficialFactory(department=request.department, district=place)


def test_an_inactive_member_sees_nothing_and_may_do_nothing(member, raise_one):
    request = raise_one()
    assert list(requests_for(member)) == [request]
    _switch_off(member)
    assert not requests_for(member).exists()
    with pytest.raises(NotAllowed):
        refuse_publication(request.pk, actor=member)
    with pytest.raises(NotAllowed):
        raise_one()
    api = APIClient()
    api.force_authenticate(member)  # a token issued before the account was switched off
    assert api.get("/api/v1/requests/").json().get("count", 0) == 0


def test_an_inactive_official_sees_nothing_and_may_do_nothing(raise_one):
    request = raise_one()
    official = _official_of(request)
    assert list(requests_for(official)) == [request]
    _switch_off(official)
    assert not requests_for(official).exists()
    with pytest.raises(NotAllowed):
        answer(request.pk, actor=official, text="请登录电子税务局开具。")


def test_an_official_of_a_deactivated_department_sees_nothing(raise_one):
    request = raise_one()
    official = _official_of(request)
    department = request.department
    department.is_active = False
    department.save(update_fields=["is_active"])
    official.refresh_from_db()
    assert not requests_for(official).exists()
    with pytest.raises(NotAllowed):
        ask_for_information(request.pk, actor=official, message="请补充发票号。")


def test_an_official_moved_to_another_district_sees_the_new_districts_requests(
    member, enterprise, raise_one
):
    here = raise_one()
    elsewhere = "binjiang" if here.district.code != "binjiang" else "xihu"
    there = raise_one(subject="发票开具问题（分公司）")
    there.district = district(elsewhere)
    there.save(update_fields=["district"])
    assert there.department_id == here.department_id
    official = _official_of(here)
    assert set(requests_for(official)) == {here}

    official.district = district(elsewhere)
    official.save(update_fields=["district"])
    assert set(requests_for(official)) == {there}
    with pytest.raises(NotAllowed):  # the old district's request is no longer theirs
        ask_for_information(here.pk, actor=official, message="请补充发票号。")
    ask_for_information(there.pk, actor=official, message="请补充发票号。")
    supply_information(there.pk, actor=member, message="12345")
