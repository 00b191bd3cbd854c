"""Fact-dispute fixtures: an enterprise and its member, officials of the departments that
own facts (taxation, human resources), another enterprise's member."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Tuesday morning in office hours, far from any holiday.
TUESDAY_9AM = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.DISPUTES_ATTACHMENT_ROOT = tmp_path / "disputes"
    return settings.DISPUTES_ATTACHMENT_ROOT


@pytest.fixture
def enterprise(db):
    return EnterpriseFactory(name="杭州争议测试科技有限公司")


@pytest.fixture
def member(enterprise):
    return member_of(enterprise, display_name="李小红")


@pytest.fixture
def other_member(db):
    return member_of(EnterpriseFactory())


@pytest.fixture
def hrss_official(db):
    return OfficialFactory(department=department("hrss"), district=None, display_name="王科长")


@pytest.fixture
def tax_official(db):
    return OfficialFactory(department=department("taxation"), district=None)


@pytest.fixture
def raise_one(member, enterprise):
    from disputes.services import raise_dispute

    def make(fact="hrss.insured_employees", value="12", **more):
        return raise_dispute(
            actor=more.pop("actor", member), enterprise=more.pop("enterprise", enterprise),
            fact=fact, claimed_value=value, statement="十月参保人数应为12人，不是6人。", **more,
        )  # fmt: skip

    return make
