"""A small city whose every dashboard figure can be worked out by hand.

Enterprises: E1 Xihu/software (I), E2 Xihu/manufacturing (C), E3 Binjiang/manufacturing (C).
Policies: P1 (Human Resources), P2 (Taxation).

Paid claims (created → confirmed):
  E1·P1 1,000.00  2026-10-05, 2 s      E2·P1 2,000.00  2026-11-03, 4 s
  E3·P2   500.50  2026-11-10, 10 s     E1·P2   300.00  2026-11-12, 3 s
  E2·P2   150.00  2026-11-13, 60 s
Not paid: E2·P1 period 2025 ineligible; E3·P1 awaiting data.

Approval items, Tuesday 2026-11-03 from 09:00 — project filing (NDRC): approved after 1, 2
  and 3 working hours (Xihu, E1), committed after 2 h (Xihu, E2), rejected (Binjiang, E3);
  planning permit (Planning): pending, deadline passed (Binjiang, E3).

Requests (Taxation, limit 8 working hours), Monday 2026-11-02 09:00:
  answered after 2 h, rated satisfied (Xihu); answered after 10 h, rated unsatisfied
  (Xihu); open past its limit (Binjiang).

Data calls: Taxation 4 (one timeout; 10, 20, 30, 3000 ms), Market 1 (ok, 50 ms).
Grades: E1 A, E2 B, E3 B. Commitments (Market): made, fulfilled, breached.
Inspections (Market campaign drawn 2026-11-02, results due 2026-11-10): E1 clean, published
11-05 (on time); E2 violation, published 11-12 (late); E3 no result yet (overdue).
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from approvals.models import Application, Item, ItemType, ServicePackage
from credit.commitments.models import CommitmentStatus
from credit.grades.models import CreditGrade, ScoringModel
from credit.inspections.models import InspectionCampaign, InspectionDraw, InspectionSelection
from datahub.models import DataCall
from directline.models import Category, Request
from policies.models import Policy, PolicyVersion
from subsidies.models import Budget, Claim, Disbursement
from tests.factories import (
    CommitmentFactory,
    EnterpriseFactory,
    UserFactory,
    department,
    district,
)
from tests.policies.test_lifecycle import version_fields

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 10, minute: int = 0, second: float = 0) -> datetime:
    whole = int(second)
    return datetime(
        day.year, day.month, day.day, hour, minute, whole, int((second - whole) * 1e6),
        tzinfo=SHANGHAI,
    )  # fmt: skip


def make_policy(code: str, department_code: str) -> Policy:
    policy = Policy.objects.create(
        code=code, department=department(department_code), title_zh=code, title_en=code,
        summary_zh="-", summary_en="-", legal_basis_zh="-", benefit_type="award",
        delivery_mode="automatic",
    )  # fmt: skip
    version = PolicyVersion.objects.create(
        policy=policy,
        number=1,
        status="published",
        **version_fields(valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31)),
    )
    Budget.objects.create(version=version, total=Decimal("10000.00"), reserved=Decimal("4000.00"))
    return policy


def paid_claim(enterprise, policy, amount: str, created: datetime, seconds: float) -> Claim:
    claim = Claim.objects.create(
        enterprise=enterprise, policy=policy, version=policy.versions.get(), period="2026",
        status="paid", amount=Decimal(amount),
    )  # fmt: skip
    Claim.objects.filter(pk=claim.pk).update(created_at=created)
    Disbursement.objects.create(
        claim=claim, idempotency_key=f"qinqing-claim-{claim.pk}", amount=Decimal(amount),
        bank_name="杭州银行", bank_account="6222020200112233445", status="confirmed",
        confirmed_at=created + timedelta(seconds=seconds),
    )  # fmt: skip
    return claim


def approval_item(enterprise, item_type, status, *, hours: float | None = None, **fields) -> Item:
    start = at(date(2026, 11, 3), 9)
    application = Application.objects.create(
        package=item_type.package, reference=f"XM-{Item.objects.count() + 1}",
        enterprise=enterprise, applicant=UserFactory(), district=enterprise.district,
        status="in_review", submitted_at=start,
    )  # fmt: skip
    decided = start + timedelta(hours=hours) if hours is not None else None
    values = {
        "department": item_type.department, "district": enterprise.district, "status": status,
        "started_at": start, "limit_amount": 4, "limit_unit": "hours", "decided_at": decided,
        "deadline": None if decided else start + timedelta(hours=4),
    }  # fmt: skip
    values.update(fields)
    return Item.objects.create(application=application, item_type=item_type, **values)


@pytest.fixture
def small_city(db):
    xihu, binjiang = district("xihu"), district("binjiang")
    e1 = EnterpriseFactory(district=xihu, industry_section="I", industry_division="65")
    e2 = EnterpriseFactory(district=xihu, industry_section="C", industry_division="39")
    e3 = EnterpriseFactory(district=binjiang, industry_section="C", industry_division="39")
    p1, p2 = make_policy("p1-jobs", "hrss"), make_policy("p2-tax", "taxation")

    paid_claim(e1, p1, "1000.00", at(date(2026, 10, 5)), 2)
    paid_claim(e2, p1, "2000.00", at(date(2026, 11, 3)), 4)
    paid_claim(e3, p2, "500.50", at(date(2026, 11, 10)), 10)
    paid_claim(e1, p2, "300.00", at(date(2026, 11, 12)), 3)
    paid_claim(e2, p2, "150.00", at(date(2026, 11, 13)), 60)
    for enterprise, policy, period, status in ((e2, p1, "2025", "ineligible"),
                                               (e3, p1, "2026", "awaiting_data")):  # fmt: skip
        claim = Claim.objects.create(enterprise=enterprise, policy=policy, period=period,
                                     version=policy.versions.get(), status=status)  # fmt: skip
        Claim.objects.filter(pk=claim.pk).update(created_at=at(date(2026, 11, 14)))

    package = ServicePackage.objects.get(code="industrial-project")
    filing = ItemType.objects.get(package=package, department=department("ndrc"))
    planning = ItemType.objects.get(package=package, department=department("planning"))
    for hours in (1, 2, 3):
        approval_item(e1, filing, "approved", hours=hours)
    approval_item(e2, filing, "committed", hours=2)
    approval_item(e3, filing, "rejected", hours=0.5)
    approval_item(e3, planning, "pending", deadline=at(date(2026, 11, 3), 13))

    category = Category.objects.first()
    taxation = department("taxation")
    monday = date(2026, 11, 2)
    for enterprise, answered, rating in (
        (e1, at(monday, 11), "satisfied"),  # 08:30 office opens; 09:00 → 11:00 = 2 h
        (e2, at(date(2026, 11, 3), 12), "unsatisfied"),  # 09:00 Mon → 12:00 Tue = 7 + 3 = 10 h
        (e3, None, ""),
    ):
        request = Request.objects.create(
            reference=f"ZTC-{enterprise.pk}", enterprise=enterprise, raised_by=UserFactory(),
            category=category, subject="发票问题", description="…", district=enterprise.district,
            status="closed" if answered else "open", department=taxation,
            started_at=at(monday, 9), limit_hours=8, answered_at=answered, rating=rating,
        )  # fmt: skip
        Request.objects.filter(pk=request.pk).update(created_at=at(monday, 9))

    market = department("market")
    for dept, latency, outcome, enterprise in (
        (taxation, 10, "ok", e1), (taxation, 20, "ok", e2), (taxation, 30, "ok", e3),
        (taxation, 3000, "timeout", e1), (market, 50, "ok", e3),
    ):  # fmt: skip
        DataCall.objects.create(
            department=dept, interface="x", enterprise=enterprise, purpose="test",
            transport="inprocess", started_at=at(date(2026, 11, 5)), latency_ms=latency,
            outcome=outcome,
        )  # fmt: skip

    model = ScoringModel.objects.order_by("version").first()
    for enterprise, grade in ((e1, "A"), (e2, "B"), (e3, "B")):
        CreditGrade.objects.create(enterprise=enterprise, grade=grade, score=800, model=model,
                                   grade_since=date(2026, 1, 1),
                                   computed_at=at(date(2026, 11, 1)))  # fmt: skip
    for enterprise, status in ((e1, CommitmentStatus.MADE), (e2, CommitmentStatus.FULFILLED),
                               (e3, CommitmentStatus.BREACHED)):  # fmt: skip
        CommitmentFactory(enterprise=enterprise, status=status, department=market,
                          accepted_at=at(date(2026, 11, 3)))  # fmt: skip
    campaign = InspectionCampaign.objects.create(
        title="2026 广告抽查",
        department=market,
        status="drawn",
        ratios={"A": 5},
        algorithm="qinqing-draw-1",
        snapshot_sha256="0" * 64,
        published_at=at(date(2026, 11, 1)),
    )
    draw = InspectionDraw.objects.create(
        campaign=campaign, public_value="x", seed="0" * 64, algorithm="qinqing-draw-1",
        drawn_at=at(date(2026, 11, 2)), results_due=at(date(2026, 11, 10), 17),
    )  # fmt: skip
    for rank, (enterprise, result, published) in enumerate(
        ((e1, "clean", at(date(2026, 11, 5))), (e2, "violation", at(date(2026, 11, 12))),
         (e3, "pending", None)),
    ):  # fmt: skip
        InspectionSelection.objects.create(draw=draw, enterprise=enterprise, grade="B",
                                           rank=rank, result=result,
                                           published_at=published)  # fmt: skip
    return {
        "e1": e1,
        "e2": e2,
        "e3": e3,
        "p1": p1,
        "p2": p2,
        "filing": filing,
        "planning": planning,
    }
