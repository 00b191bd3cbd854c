"""The one scoping rule (qinqing.scoping), on the register itself: who sees which rows."""

import pytest

from enterprises.models import Enterprise
from qinqing.scoping import Reach, official_covers, rule_for
from tests.factories import (
    AuditorFactory,
    EnterpriseFactory,
    OfficialFactory,
    department,
    district,
    member_of,
)

pytestmark = pytest.mark.django_db

BY_DISTRICT = Reach(enterprise="self", district="district")


def visible(user, reach=BY_DISTRICT) -> set[int]:
    rule = rule_for(user, reach)
    rows = Enterprise.objects.all() if rule is None else Enterprise.objects.filter(rule)
    return set(rows.values_list("pk", flat=True))


@pytest.fixture
def city():
    xihu, binjiang = district("xihu"), district("binjiang")
    a = EnterpriseFactory(district=xihu)
    b = EnterpriseFactory(district=binjiang)
    return xihu, binjiang, a, b


def test_members_see_their_enterprises_only(city):
    _xihu, _binjiang, a, _b = city
    assert visible(member_of(a)) == {a.pk}


def test_district_official_sees_the_district_and_follows_a_move(city):
    xihu, binjiang, a, b = city
    official = OfficialFactory(department=department("market"), district=xihu)
    assert visible(official) == {a.pk}
    official.district = binjiang
    official.save()
    assert visible(official) == {b.pk}


def test_city_wide_official_and_auditor_see_all(city):
    _xihu, _binjiang, a, b = city
    assert visible(OfficialFactory(department=department("market"), district=None)) >= {a.pk, b.pk}
    assert visible(AuditorFactory()) >= {a.pk, b.pk}


def test_inactive_users_see_nothing(city):
    _xihu, _binjiang, a, _b = city
    member = member_of(a)
    member.is_active = False
    assert visible(member) == set()
    auditor = AuditorFactory(is_active=False)
    assert visible(auditor) == set()


def test_officials_of_a_deactivated_department_see_and_cover_nothing(city):
    xihu, _binjiang, _a, _b = city
    market = department("market")
    official = OfficialFactory(department=market, district=xihu)
    assert official_covers(official, department_id=market.pk, district_id=xihu.pk)
    market.is_active = False
    market.save()
    official.refresh_from_db()
    assert visible(official) == set()
    assert not official_covers(official, department_id=market.pk, district_id=xihu.pk)


def test_officials_kept_out_when_the_model_says_so(city):
    _xihu, _binjiang, a, _b = city
    owners_only = Reach(enterprise="self", officials=False)
    assert visible(OfficialFactory(department=department("market")), owners_only) == set()
    assert visible(member_of(a), owners_only) == {a.pk}
