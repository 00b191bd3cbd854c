"""Approvals fixtures: the packages come from migration 0002, so tests use the real data."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from approvals.models import ServicePackage
from approvals.services.applications import save_answers, start_application, submit_application
from tests.factories import EnterpriseFactory, OfficialFactory, department, district, member_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Tuesday morning in office hours, far from any holiday.
TUESDAY_9AM = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)

FIVE_ITEM_PROJECT = {
    "project_name": "年产5万台电机智能工厂",
    "district": "xihu",
    "land_parcel": "XH2026-017",
    "land_use_type": "industrial",
    "industry_division": "38",
    "total_investment": "120000000",
    "floor_area": "36000",
    "production_capacity": "年产5万台电机",
    "environmental_category": "report_form",
    "hazardous_chemicals": False,
}
ESTABLISHMENT = {
    "enterprise_name": "杭州青晴新创科技有限公司",
    "district": "binjiang",
    "address": "滨江区网商路599号",
    "industry_division": "65",
    "business_scope": "软件开发；信息技术咨询服务",
    "registered_capital": "1000000",
    "legal_representative": "李明",
    "shareholders": "李明\n王芳",
    "bank_name": "杭州银行滨江支行",
    "bank_account": "6222 0202 0011 2233 445",
}


def _packages_installed() -> None:
    """Tests on committed data empty every table afterwards, including what migrations
    load: put the reference data and the starting packages back first."""
    from approvals.models import ItemRule, ItemType, SheetField
    from approvals.packages import install_packages
    from departments.models import Department, District
    from departments.services import sync_reference_data

    if not District.objects.exists():
        sync_reference_data(District, Department)
    if not ServicePackage.objects.exists():
        install_packages(ServicePackage, SheetField, ItemType, ItemRule, Department)


@pytest.fixture
def project_package(db) -> ServicePackage:
    _packages_installed()
    return ServicePackage.objects.get(code="industrial-project")


@pytest.fixture
def establishment_package(db) -> ServicePackage:
    _packages_installed()
    return ServicePackage.objects.get(code="enterprise-establishment")


@pytest.fixture
def applicant(project_package):
    enterprise = EnterpriseFactory(district=district("xihu"))
    return member_of(enterprise), enterprise


def officials_for(code: str, district_code: str | None = None):
    return OfficialFactory(department=department(code),
                           district=district(district_code) if district_code else None)  # fmt: skip


def draft_project(applicant, package, answers=None):
    user, enterprise = applicant
    application = start_application(package=package, actor=user, enterprise=enterprise)
    return save_answers(application.pk, actor=user,
                                 answers=answers or FIVE_ITEM_PROJECT)  # fmt: skip


def submitted_project(applicant, package, answers=None, **kwargs):
    application = draft_project(applicant, package, answers)
    return submit_application(application.pk, actor=applicant[0], **kwargs)
