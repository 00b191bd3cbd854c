"""The demo city (`make run`'s data, issue #18) tells the story: built once by
seed_demo_city, it gives a newcomer every capability at once for the demo logins."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role, User
from approvals.models import Item, ItemPause, ItemStatus
from credit.commitments.models import Commitment
from credit.grades.models import CreditGrade
from credit.inspections.models import CampaignStatus, InspectionCampaign
from credit.inspections.verification import verify
from credit.lists.models import ListEntry
from dashboards.models import Tally
from directline.models import COORDINATING_OFFICE, Request, RequestStatus, RoutingRule
from disputes.models import Dispute, DisputeStatus
from enterprises.models import Enterprise, EnterpriseStatus
from policies.evaluation import evaluate_all
from policies.models import Policy, QualifyWatch, VersionStatus
from recovery.models import Grounds, OrderStatus, RecoveryOrder
from sandbox.city.generator import POLICY_PREFIX
from sandbox.city.logins import DEMO_PASSWORD
from sandbox.departments.simulation import RegisterColumns, simulate
from subsidies.models import Claim, ClaimStatus

# Committed data, as `make run` has it: a claim's check runs when its row is committed (the
# claim waiting for data is checked while the tax bureau is down). The migrations' reference
# data (departments, packages, categories, rules) is restored first (conftest.py).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("migrated_rows")]


def own(user: User) -> list[Enterprise]:
    return list(Enterprise.objects.filter(memberships__user=user).order_by("pk"))


def _every_chart_has_a_year_behind_it(city: str) -> None:
    for subject in ("claims", "payments", "items", "requests", "data_calls"):
        months = Tally.objects.filter(subject=subject).exclude(month=None)
        assert months.values("month").distinct().count() >= 12, subject
    # Seasons, not a flat line: the Spring Festival's February is the quietest whole month
    # of the history (the current month is partial and holds today's batch runs).
    history = Claim.objects.filter(policy__code__startswith=POLICY_PREFIX)
    this_month = timezone.localdate().month
    by_month = {
        month: history.filter(created_at__month=month).count()
        for month in range(1, 13)
        if month != this_month
    }
    assert all(by_month.values())
    if this_month != 2:
        assert by_month[2] == min(by_month.values())


def _the_demo_enterprise_can_claim_now_an_open_policy_it_qualifies_for(demo: User) -> None:
    mine = {e.pk for e in own(demo)}
    found = False
    for policy in Policy.objects.filter(delivery_mode="apply"):
        version = policy.versions.filter(status=VersionStatus.PUBLISHED).first()
        if version is None:
            continue
        decision = evaluate_all(version)
        eligible = set(decision.enterprise_ids[decision.eligible].tolist()) & mine
        claimed = set(Claim.objects.filter(policy=policy).values_list("enterprise_id", flat=True))
        found |= bool(eligible - claimed)
    assert found


def _the_demo_enterprise_has_an_offer_a_claim_waiting_for_data_and_a_supplement(demo: User) -> None:
    claims = Claim.objects.filter(enterprise__in=own(demo))
    assert claims.filter(status=ClaimStatus.OFFERED, policy__delivery_mode="confirm").exists()
    assert claims.filter(status=ClaimStatus.AWAITING_DATA, next_check_at__isnull=False).exists()
    supplement = Item.objects.filter(
        application__applicant=demo,
        application__status="in_review",
        status=ItemStatus.SUPPLEMENT,
    )
    assert supplement.exists()
    assert ItemPause.objects.filter(item__in=supplement, ended_at=None).exists()


def _an_answer_waits_for_a_rating_and_a_commitment_for_verification(demo: User) -> None:
    answered = Request.objects.filter(
        enterprise__in=own(demo), status=RequestStatus.ANSWERED, rating=""
    )
    assert answered.exclude(answer="").exists()
    assert Commitment.objects.filter(
        enterprise__in=own(demo), status__in=("made", "verifying"), verify_by__isnull=False
    ).exists()


def _credit_grades_lists_and_a_verified_draw(city: str) -> None:
    assert set(CreditGrade.objects.values_list("grade", flat=True)) >= {"A", "B", "C", "D"}
    current = ListEntry.objects.filter(status="current")
    assert current.filter(list_kind="black").exists()
    assert current.filter(list_kind="red").exists()
    drawn = InspectionCampaign.objects.filter(status=CampaignStatus.DRAWN)
    assert drawn.exists()
    assert all(verify(campaign).ok for campaign in drawn)


def _a_district_policy_next_to_the_city_ones(city: str) -> None:
    published = Policy.objects.filter(versions__status=VersionStatus.PUBLISHED).distinct()
    assert published.filter(target_districts__isnull=False).exists()
    assert published.filter(target_districts__isnull=True).exists()


def _every_department_demo_work_goes_to_has_a_demo_login(city: str) -> None:
    logins = User.objects.filter(role=Role.OFFICIAL, is_active=True, district__isnull=True)
    logins = [user for user in logins if user.check_password(DEMO_PASSWORD)]
    covered = {user.department_id for user in logins}
    routed = set(RoutingRule.objects.values_list("department_id", flat=True))
    routed |= set(Request.objects.values_list("department_id", flat=True))
    routed |= set(Item.objects.values_list("department_id", flat=True))
    routed |= set(Policy.objects.values_list("department_id", flat=True))
    coordinating = User.objects.filter(department__code=COORDINATING_OFFICE)
    assert any(user.check_password(DEMO_PASSWORD) for user in coordinating)
    assert routed - covered == set()
    # ... and they are printed with the other demo logins.
    assert "data_city" in city and "enterprise" in city


def _the_register_agrees_with_the_market_department(city: str) -> None:
    register = list(
        Enterprise.objects.order_by("pk").values_list(
            "uscc",
            "size_class",
            "registered_capital",
            "established_on",
            "industry_division",
            "industry_section",
            "status",
        )
    )
    reported = simulate(
        RegisterColumns.from_rows([row[:6] for row in register]),
        ["market.registration_status"],
        timezone.localdate(),
    )["market.registration_status"].tolist()
    deregistered = [row for row, said in zip(register, reported, strict=True) if said != "active"]
    assert deregistered
    assert all(row[6] == said for row, said in zip(register, reported, strict=True))
    assert not Enterprise.objects.filter(
        Q(status=EnterpriseStatus.DEREGISTERED),
        memberships__isnull=False,
        memberships__user__username__in=("enterprise", "enterprise2"),
    ).exists()


def _a_dispute_corrected_one_open_a_recovery_order_and_a_watch(demo: User) -> None:
    """Issue #22's cases: the corrected dispute's claim was paid by the re-evaluation (no
    second claim), the open one waits in a department's queue, the order was raised by an
    official and is partly offset, and a watch is open."""
    mine = own(demo)
    corrected = Dispute.objects.get(enterprise__in=mine, status=DisputeStatus.CORRECTED)
    claim = Claim.objects.get(pk=corrected.claim_id)
    assert claim.status == ClaimStatus.PAID
    assert Claim.objects.filter(enterprise=claim.enterprise, policy=claim.policy).count() == 1
    assert Dispute.objects.filter(enterprise__in=mine, status=DisputeStatus.RAISED).exists()
    order = RecoveryOrder.objects.get(enterprise__in=mine, grounds=Grounds.DECISION)
    assert order.status == OrderStatus.RAISED and order.reason
    assert 0 < order.recovered < order.amount
    assert QualifyWatch.objects.filter(enterprise__in=mine, notified_at__isnull=True).exists()
    # An ineligible claim decided now, criterion by criterion (the claim-ineligible page).
    ineligible = Claim.objects.filter(enterprise__in=mine, status=ClaimStatus.INELIGIBLE)
    assert any(claim.decision.get("criteria") for claim in ineligible)


@pytest.mark.long
def test_the_demo_city_tells_the_story():
    """Built once (a smaller register than `make run`'s, the same history and story),
    then every item of the list checked for the demo logins."""
    out = StringIO()
    call_command("seed_demo_city", enterprises=800, stdout=out, stderr=out)
    city = out.getvalue()
    demo = User.objects.get(username="enterprise")
    _every_chart_has_a_year_behind_it(city)
    _the_demo_enterprise_can_claim_now_an_open_policy_it_qualifies_for(demo)
    _the_demo_enterprise_has_an_offer_a_claim_waiting_for_data_and_a_supplement(demo)
    _an_answer_waits_for_a_rating_and_a_commitment_for_verification(demo)
    _credit_grades_lists_and_a_verified_draw(city)
    _a_district_policy_next_to_the_city_ones(city)
    _every_department_demo_work_goes_to_has_a_demo_login(city)
    _the_register_agrees_with_the_market_department(city)
    _a_dispute_corrected_one_open_a_recovery_order_and_a_watch(demo)
    # A second run adds none of them again.
    counts = (Dispute.objects.count(), RecoveryOrder.objects.count(), Claim.objects.count())
    call_command("seed_demo_cases", stdout=StringIO(), stderr=StringIO())
    assert (Dispute.objects.count(), RecoveryOrder.objects.count(), Claim.objects.count()) == counts
