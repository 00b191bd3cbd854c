"""A small world for the security and robustness suites: two enterprises in two districts,
each owning one of every kind of object, and one person per role.

Enterprise A is in Xihu (district P), enterprise B in Binjiang (district Q). Their claims,
approval items, credit records, commitments, repairs and requests belong to Market
Supervision (department X), so the Xihu market official sees A's and not B's, and the
city-wide Human Resources official (department Y) sees neither department-scoped object.

Rows are written directly (as tests/dashboards/conftest.py does) rather than through the
services: the suites only read and refuse, and need the objects, not their history.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from approvals.models import ItemType, Permit
from credit.grades.models import CreditGrade, ScoringModel
from credit.repair.models import RepairApplication
from datahub.models import DataCall
from directline.models import Category, Request
from disputes.models import Dispute
from enterprises.models import Enterprise
from policies.models import PolicyVersion
from qinqing.notifications.models import Notification
from recovery.models import RecoveryOrder
from tests.approvals.conftest import ESTABLISHMENT, _packages_installed
from tests.dashboards.conftest import approval_item, make_policy, paid_claim
from tests.directline.conftest import categories_installed
from tests.factories import (
    AdminFactory,
    AuditorFactory,
    CommitmentFactory,
    CreditRecordFactory,
    EnterpriseFactory,
    OfficialFactory,
    department,
    district,
    member_of,
)

# Roles, in the order the matrix prints them. Partner API clients are PARTNER_ROLES below.
ROLES = (
    "anonymous",
    "member_a",
    "member_b",
    "official_market_xihu",
    "official_hrss_city",
    "official_general_office",
    "auditor",
    "admin",
)


@dataclass
class Owned:
    """The objects one enterprise owns; ids go into the example URLs."""

    enterprise: Enterprise
    ids: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    users: dict[str, Any]
    a: Owned
    b: Owned
    shared: dict[str, Any]


def _owned(enterprise: Enterprise, member, policy, item_type: ItemType, number: int) -> Owned:
    market = department("market")
    claim = paid_claim(enterprise, policy, "1000.00", timezone.now() - timedelta(days=3), 2)
    item = approval_item(enterprise, item_type, "approved", hours=1)
    # tests/dashboards' helper marks the application "submitted", which is no status.
    item.application.status = "approved"
    item.application.applicant = member
    item.application.answers = {**ESTABLISHMENT, "district": enterprise.district.code}
    item.application.save(update_fields=["status", "applicant", "answers"])
    permit = Permit.objects.create(
        item=item, number=f"SEC-2026-{number:07d}", verification_code=f"SECCODE{number:06d}"
    )
    pending = approval_item(enterprise, item_type, "pending")
    pending.application.status = "in_review"
    pending.application.applicant = member
    pending.application.answers = {**ESTABLISHMENT, "district": enterprise.district.code}
    pending.application.save(update_fields=["status", "applicant", "answers"])
    record = CreditRecordFactory(
        enterprise=enterprise, department=market, occurred_on=date(2024, 1, 10)
    )
    commitment = CommitmentFactory(enterprise=enterprise, department=market, accepted_by=member)
    repair = RepairApplication.objects.create(
        record=record,
        enterprise=enterprise,
        applicant=member,
        evidence="已整改",
        commitment=CommitmentFactory(enterprise=enterprise, department=market),
    )
    CreditGrade.objects.create(
        enterprise=enterprise,
        grade="B",
        score=700,
        model=ScoringModel.objects.order_by("version").first(),
        grade_since=date(2026, 1, 1),
        computed_at=timezone.now(),
    )
    request = Request.objects.create(
        reference=f"ZTC-SEC-{number}",
        enterprise=enterprise,
        raised_by=member,
        category=Category.objects.first(),
        subject="发票问题",
        description="无法开具发票",
        district=enterprise.district,
        status="open",
        department=market,
        started_at=timezone.now(),
        limit_hours=8,
    )
    # A dispute on a Market fact, with Xihu Market.
    dispute = Dispute.objects.create(
        reference=f"ZY-SEC-{number}", enterprise=enterprise, district=enterprise.district,
        raised_by=member, department=market, fact="market.registered_capital", period="",
        origin="data_log", claimed_value="¥2,000,000.00", statement="注册资本已变更",
        started_at=timezone.now(),
    )  # fmt: skip
    notification = Notification.objects.create(
        recipient=member, kind="claim.paid", title="已到账", link="/claims/"
    )
    call = DataCall.objects.create(
        department=department("taxation"),
        interface="tax.annual_summary",
        enterprise=enterprise,
        purpose="security suite",
        transport="inprocess",
        started_at=timezone.now(),
        latency_ms=5,
        outcome="ok",
    )
    recovery = RecoveryOrder.objects.create(enterprise=enterprise, claim=claim,
                                            grounds="decision", reason="重复发放",
                                            amount=Decimal("100.00"))  # fmt: skip
    return Owned(
        enterprise,
        {
            "recovery_order": recovery.pk,
            "uscc": enterprise.uscc,
            "claim": claim.pk,
            "disbursement": claim.disbursement.pk,
            "application": item.application_id,
            "item": item.pk,
            "pending_item": pending.pk,
            "pending_application": pending.application_id,
            "permit": permit.number,
            "permit_code": permit.verification_code,
            "record": record.pk,
            "commitment": commitment.pk,
            "repair": repair.pk,
            "request": request.pk,
            "dispute": dispute.pk,
            "notification": notification.pk,
            "data_call": call.pk,
        },
    )


def build_world() -> World:
    _packages_installed()
    categories_installed()
    xihu, binjiang = district("xihu"), district("binjiang")
    enterprise_a = EnterpriseFactory(district=xihu)
    enterprise_b = EnterpriseFactory(district=binjiang)
    users = {
        "anonymous": None,
        "member_a": member_of(enterprise_a),
        "member_b": member_of(enterprise_b),
        "official_market_xihu": OfficialFactory(department=department("market"), district=xihu),
        "official_hrss_city": OfficialFactory(department=department("hrss"), district=None),
        "official_general_office": OfficialFactory(
            department=department("general_office"), district=None
        ),
        "auditor": AuditorFactory(),
        "admin": AdminFactory(),
    }
    policy = make_policy("sec-market-award", "market")
    # Market Supervision's item is on the establishment package's sheet.
    item_type = ItemType.objects.filter(department=department("market")).order_by("pk").first()
    a = _owned(enterprise_a, users["member_a"], policy, item_type, 1)
    b = _owned(enterprise_b, users["member_b"], policy, item_type, 2)
    shared = {
        "policy": policy.code,
        "policy_version": PolicyVersion.objects.get(policy=policy).pk,
    }
    return World(users=users, a=a, b=b, shared=shared)


# --- Partner systems (OAuth2 client credentials, partners/) ------------------------------

# Partner clients, in the order the partner matrix prints them: one bound to Market
# Supervision in Xihu (the department and district that handle enterprise A's objects, as
# official_market_xihu) and one bound to enterprise A (as member_a), both with every scope.
PARTNER_ROLES = ("partner_market_xihu", "partner_enterprise_a")
# No rate limit worth the name: the matrix sends hundreds of requests per client.
PARTNER_RATE = 1_000_000


def partner_token(world: World, role: str, scopes=None) -> str:
    """A bearer token for a new partner client of `role`'s binding holding `scopes`
    (default: every scope of the registry)."""
    from partners.scopes import SCOPES
    from tests.partners_support import issue_token, make_partner

    binding = (
        {"department": "market", "district": "xihu"}
        if role == "partner_market_xihu"
        else {"enterprise": world.a.enterprise}
    )
    granted = sorted(SCOPES) if scopes is None else sorted(scopes)
    partner, _secret = make_partner(scopes=granted, rate=PARTNER_RATE, **binding)
    return issue_token(partner)
