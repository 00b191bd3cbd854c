"""Direct line fixtures. Categories and rules come from migration 0002; tests on committed
data empty the tables afterwards, so the fixtures put them back first."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from directline.models import Category, Request
from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Tuesday morning in office hours, far from any holiday.
TUESDAY_9AM = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)


def categories_installed() -> None:
    from departments.models import Department, District
    from departments.services import sync_reference_data

    if not District.objects.exists():
        sync_reference_data(District, Department)
    if not Category.objects.exists():
        from importlib import import_module

        from django.apps import apps

        import_module("directline.migrations.0002_categories_and_rules").load(apps, None)


@pytest.fixture
def categories(db) -> None:
    categories_installed()


@pytest.fixture
def enterprise(categories):
    return EnterpriseFactory(name="杭州青晴测试科技有限公司", legal_representative="王大明")


@pytest.fixture
def member(enterprise):
    return member_of(enterprise, display_name="李小红")


@pytest.fixture
def other_member(categories):
    return member_of(EnterpriseFactory())


@pytest.fixture
def tax_official(categories):
    return OfficialFactory(department=department("taxation"), district=None)


@pytest.fixture
def raise_one(member, enterprise):
    from directline.services.raising import raise_request

    def make(
        subject="发票开具问题",
        description="我们的增值税发票无法开具，请问如何处理？",
        category="policy_question",
        actor=None,
    ) -> Request:
        return raise_request(
            actor=actor or member,
            enterprise=enterprise,
            category=Category.objects.get(code=category),
            subject=subject,
            description=description,
        )

    return make


def make_policy(code="rd-award", department_code="science", status="published"):
    """A policy of `department_code` with one version in `status` (published: nameable)."""
    from datetime import date
    from decimal import Decimal

    from policies.models import Policy, PolicyVersion

    policy = Policy.objects.create(
        code=code,
        department=department(department_code),
        title_zh="研发投入奖励",
        title_en="R&D award",
        summary_zh="-",
        summary_en="-",
        legal_basis_zh="-",
        benefit_type="award",
        delivery_mode="apply",
    )
    PolicyVersion.objects.create(
        policy=policy,
        number=1,
        status=status,
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
        criteria={"all": [{"fact": "hrss.insured_employees", "op": ">=", "value": 10}]},
        benefit={"amount": "1000.00"},
        budget=Decimal("100000.00"),
        claim_period="once",
    )
    return policy


@pytest.fixture
def science_policy(categories):
    return make_policy()


@pytest.fixture
def coordinator(categories):
    """An official of the coordinating office, city-wide: forwards what it receives."""
    return OfficialFactory(department=department("data"), district=None)
