"""The demo city's cases of issues #22 and #23, seeded through the services as the demo
logins would make them (run by seed_demo_city after seed_demo_story):

- a recovery order: the HR & Social Security official decides that part of the demo
  enterprise's job stability refund was not due, with a reason; the enterprise's next
  subsidy payment (the job expansion subsidy below, paid at publication) is withheld to
  offset it, so the order is partly settled and the rest is still owed;
- an automatic policy the demo enterprise's other enterprise narrowly misses (at least 50
  insured staff; it has 30): it claims all the same, is found ineligible, disputes the
  fact from the claim, and the department corrects it; the re-evaluation decides the claim
  again and pays it, without a new claim;
- a dispute still open, in Housing's queue: the leased floor area, raised from the
  calculator;
- a "tell me when I qualify" watch on the rent subsidy, and a claim on it decided now and
  found ineligible (its page explains each criterion, with the near-miss advice);
- an inspection draw on the public index (/credit/draws/) when the history made none (a
  small city): published with two parties' commitments and a named public event, drawn.

Idempotent: each case is looked for first and left as it is."""

from decimal import Decimal
from hashlib import sha256
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import department_officials
from credit.inspections import services as inspections
from credit.inspections.models import CampaignStatus, InspectionCampaign
from departments.models import Department
from disputes import services as disputes
from disputes.models import Dispute, Origin
from enterprises.models import Enterprise, EnterpriseStatus
from policies.models import Policy
from policies.selectors import describe_claim
from policies.watches import start_watch
from qinqing.errors import ServiceError
from recovery.models import RecoveryOrder
from recovery.services import raise_by_official
from sandbox.city.management.commands.seed_demo_policies import (
    create_policy,
    label,
    run_to_the_end,
    tasks_in_this_process,
)
from subsidies.claims import submit_claim
from subsidies.models import Claim, ClaimStatus

EXPANSION_POLICY = "job-expansion-2026"
REFUND_POLICY = "stable-jobs-2026"
RENT_POLICY = "small-rent-2026"
STAFF_FACT = "hrss.insured_employees"
AREA_FACT = "housing.leased_floor_area"
ORDER_AMOUNT = Decimal("20000.00")
ORDER_REASON = (
    "经核查，贵企业 2026 年 3 月至 6 月的失业保险费系补缴后又申请退还，该四个月不应计入稳岗返还，"
    "对应的 20,000 元不应发放。依据《稳岗返还补贴实施办法》第五条予以追回，"
    "可一次性退回，或从贵企业此后获得的补贴中抵扣。"
)
DRAW_TITLE = "年度市场主体双随机抽查（演示）"
DRAW_ITEMS = ["营业执照与登记事项一致", "年度报告公示信息真实"]
DRAW_EVENT = "福利彩票双色球开奖号码（演示）"
DRAW_VALUE = "03 08 15 21 27 30 + 11"
EXPANSION: dict[str, Any] = {
    "code": EXPANSION_POLICY, "department": "hrss", "author": "hrss_city",
    "approver": "hrss_binjiang", "benefit_type": "employment_subsidy",
    "delivery_mode": "automatic",
    "title_zh": "2026 年度扩岗补贴", "title_en": "2026 job expansion subsidy",
    "summary_zh": "参保人数 50 人以上、连续缴费满 12 个月的企业，免申即享扩岗补贴。",
    "summary_en": "Enterprises with at least 50 insured staff and twelve months of "
                  "contributions receive a job expansion subsidy without applying.",
    "legal_basis_zh": "第二条 依法登记存续。\n第三条 参保人数不少于 50 人。\n"
                      "第四条 连续缴纳社会保险满 12 个月。\n第五条 每家企业 1.5 万元。",
    "legal_basis_en": "Art. 2 Active. Art. 3 At least 50 insured. Art. 4 Twelve months of "
                      "contributions. Art. 5 15,000 yuan each.",
    "version": {
        "criteria": {"all": [
            {"id": "staff", "label": label("参保人数不少于 50 人", "At least 50 insured staff"),
             "clause": "第三条", "fact": STAFF_FACT, "op": "ge", "value": 50},
            {"id": "active", "label": label("登记状态为存续", "Registered and active"),
             "clause": "第二条", "fact": "market.registration_status", "op": "eq",
             "value": "active"},
            {"id": "contributions",
             "label": label("连续缴费满 12 个月", "12 months of contributions"),
             "clause": "第四条", "fact": "hrss.continuous_contribution_months", "op": "ge",
             "value": 12},
        ]},
        "benefit": {"amount": "15000.00"},
        "parameters": {},
        "budget": Decimal("200000000.00"), "per_enterprise_cap": Decimal("15000.00"),
        "claim_period": "yearly",
    },
}  # fmt: skip


class Command(BaseCommand):
    help = "The demo's fact disputes, recovery order and watch (issues #22, #23)."

    def handle(self, *args: Any, **options: Any) -> None:
        demo = User.objects.filter(username="enterprise").first()
        own = list(
            Enterprise.objects.filter(memberships__user=demo, status=EnterpriseStatus.ACTIVE)
            .order_by("pk")
            .distinct()
        )
        if demo is None or len(own) < 2:
            self.stderr.write("No demo enterprise with two enterprises: run seed_demo first.")
            return
        first, second = own[0], own[-1]
        hrss = User.objects.get(username="hrss_city")
        with tasks_in_this_process():
            self._recovery_order(hrss, first)
            self._expansion_policy(hrss)
            self._corrected_dispute(demo, hrss, second)
            self._open_dispute(demo, first)
            self._watch(demo, second)
            self._ineligible_claim(demo, second)
        self._draw()

    def _recovery_order(self, official: User, enterprise: Enterprise) -> None:
        """Raised before the expansion policy pays: its payment offsets part of it."""
        claim = Claim.objects.filter(
            enterprise=enterprise, policy__code=REFUND_POLICY, status=ClaimStatus.PAID
        ).first()
        if claim is None or RecoveryOrder.objects.filter(claim=claim).exists():
            return
        order = raise_by_official(claim.pk, actor=official, amount=ORDER_AMOUNT,
                                  reason=ORDER_REASON)  # fmt: skip
        self.stdout.write(f"recovery order {order.pk}: {order.amount} on claim {claim.pk}")

    def _expansion_policy(self, approver: User) -> None:
        if Policy.objects.filter(code=EXPANSION_POLICY).exists():
            return
        with transaction.atomic():
            create_policy(EXPANSION, User.objects.get(username=EXPANSION["author"]),
                          User.objects.get(username=EXPANSION["approver"]))  # fmt: skip
        version = Policy.objects.get(code=EXPANSION_POLICY).versions.get(status="published")
        run = run_to_the_end(version)
        self.stdout.write(f"{EXPANSION_POLICY}: published, batch run {run and run.status}")

    def _corrected_dispute(self, member: User, official: User, enterprise: Enterprise) -> None:
        """Claimed, found ineligible, disputed from the claim, corrected: paid again."""
        policy = Policy.objects.get(code=EXPANSION_POLICY)
        if Dispute.objects.filter(enterprise=enterprise, fact=STAFF_FACT).exists():
            return
        try:
            claim, _created = submit_claim(enterprise=enterprise, policy=policy, actor=member)
        except ServiceError as error:
            self.stderr.write(f"{EXPANSION_POLICY} claim not made: {error}")
            return
        claim.refresh_from_db()
        if claim.status != ClaimStatus.INELIGIBLE:
            self.stderr.write(f"claim {claim.pk} is {claim.status}, not ineligible: no dispute")
            return
        dispute = disputes.raise_dispute(
            actor=member, enterprise=enterprise, fact=STAFF_FACT, claimed_value="56",
            origin=Origin.CLAIM, claim=describe_claim(member, claim.pk),
            statement="本月我司参保职工为 56 人，不是 30 人：10 月新入职的 26 名员工已于 "
                      "11 月 3 日在社保中心完成参保登记，附参保缴费明细。",
        )  # fmt: skip
        disputes.correct(
            dispute.pk, actor=official, value="56",
            reason="经核对社保中心参保登记，该企业 11 月新增参保 26 人，本月参保人数应为 56 人，"
                   "原数据为 10 月末数据，予以更正。",
        )  # fmt: skip
        claim.refresh_from_db()
        self.stdout.write(f"dispute {dispute.reference} corrected; claim {claim.pk} {claim.status}")

    def _open_dispute(self, member: User, enterprise: Enterprise) -> None:
        """Still with Housing, on its working-hours clock (the officials' queue)."""
        if Dispute.objects.filter(enterprise=enterprise, fact=AREA_FACT).exists():
            return
        dispute = disputes.raise_dispute(
            actor=member, enterprise=enterprise, fact=AREA_FACT, claimed_value="860",
            origin=Origin.CALCULATOR,
            statement="备案的 3,402.4 平方米含已转租给关联企业的仓库；我司实际租用办公场地 "
                      "860 平方米，见 2026 年 9 月变更后的租赁合同备案。",
        )  # fmt: skip
        self.stdout.write(f"dispute {dispute.reference} open with {dispute.department.code}")

    def _watch(self, member: User, enterprise: Enterprise) -> None:
        _watch, created = start_watch(member, enterprise, Policy.objects.get(code=RENT_POLICY))
        if created:
            self.stdout.write(f"watch: {enterprise.uscc} on {RENT_POLICY}")

    def _ineligible_claim(self, member: User, enterprise: Enterprise) -> None:
        """After the correction (which decides the enterprise's ineligible claims again)."""
        policy = Policy.objects.get(code=RENT_POLICY)
        if Claim.objects.filter(enterprise=enterprise, policy=policy).exists():
            return
        try:
            claim, _created = submit_claim(enterprise=enterprise, policy=policy, actor=member)
        except ServiceError as error:
            self.stderr.write(f"{RENT_POLICY} claim not made: {error}")
            return
        claim.refresh_from_db()
        self.stdout.write(f"claim {claim.pk} on {RENT_POLICY}: {claim.status}")

    def _draw(self) -> None:
        """The public index is never empty: a campaign of the market regulator's demo
        login, with its inspectors, published and drawn through the services."""
        if InspectionCampaign.objects.exclude(status=CampaignStatus.DRAFT).exists():
            return
        market = Department.objects.get(code="market")
        pool = list(department_officials(market.pk).order_by("pk"))
        manager = next((u for u in pool if u.district_id is None), None)
        if manager is None or len(pool) < 2:
            self.stderr.write("No market official to run the demo draw.")
            return
        campaign = inspections.create_campaign(
            actor=manager, title=DRAW_TITLE, items=DRAW_ITEMS, inspectors=pool,
            ratios={"A": "1", "B": "5", "C": "21", "D": "61"},
        )  # fmt: skip
        secrets = {party: sha256(f"demo:{party}".encode()).hexdigest()[:32]
                   for party in ("department", "supervisor")}  # fmt: skip
        inspections.publish_campaign(
            campaign.pk, actor=manager, public_event=DRAW_EVENT,
            public_event_on=timezone.localdate(),
            commitments={party: sha256(secret.encode()).hexdigest()
                         for party, secret in secrets.items()},
        )  # fmt: skip
        inspections.run_draw(campaign.pk, actor=manager, public_value=DRAW_VALUE, reveals=secrets)
        self.stdout.write(f"inspection draw published: {DRAW_TITLE}")
