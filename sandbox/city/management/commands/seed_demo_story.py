"""The demo city's story around the demo logins, so that a newcomer sees every capability
within a minute of logging in (issue #18). Run by seed_demo_city after the other seeds:

- a city-wide demo login for every department the demo routes work to (the direct line's
  routing rules and coordinating office, the approval items, the policies, inspections);
- a year of history behind the dashboards: the city generator at a small scale, twelve
  months with the seasons, over the register already there;
- enterprises in every credit grade, black-listed ones (a serious penalty on record) and
  red-listed ones (grade A held for a year), the generator's inspection draw published;
- a district-level policy (Binjiang, confirm mode: an offer waits for the demo enterprise's
  click) next to a city-wide apply-mode policy the demo enterprise qualifies for and has not
  claimed, and a claim of its other enterprise waiting for department data;
- a direct-line answer waiting for the demo enterprise's rating.

Everything but the history goes through the services. Idempotent: what exists is left."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import create_user
from approvals.models import ItemType
from credit.lists import services as lists
from credit.records.services import add_record
from departments.models import Department
from directline.models import COORDINATING_OFFICE, Category, Request, RoutingRule
from directline.services.department_side import answer
from directline.services.raising import raise_request
from enterprises.models import Enterprise, EnterpriseStatus
from policies.models import Policy
from qinqing.errors import ServiceError
from sandbox.city.generator import AlreadyGenerated, Volumes, generate
from sandbox.city.generator.directline import REQUEST_DEPARTMENTS
from sandbox.city.logins import DEMO_PASSWORD
from sandbox.city.management.commands.seed_demo_policies import create_policy, label
from sandbox.departments.behaviour import forget_behaviour
from sandbox.departments.models import SimulationSetting
from subsidies.claims import submit_claim
from subsidies.models import Claim

# A small city's year: a few thousand rows, seconds to write on SQLite.
HISTORY = Volumes(
    enterprises=0, claims=2500, items=300, requests=400, data_calls=3000, selections=40
)
HISTORY_MONTHS = 12

DISTRICT_POLICY = "binjiang-talent-2026"
OPEN_POLICY = "tech-voucher-2026"
STORY_POLICIES: list[dict[str, Any]] = [
    {
        "code": OPEN_POLICY, "department": "science", "author": "science_city",
        "approver": "science_city2", "benefit_type": "award", "delivery_mode": "apply",
        "title_zh": "中小企业数字化改造券", "title_en": "Digital upgrade voucher for SMEs",
        "summary_zh": "依法存续、无欠税的企业可申领数字化改造券，经科技局审核后发放。",
        "summary_en": "Active enterprises without tax arrears may claim a digital upgrade "
                      "voucher; the Science and Technology Bureau reviews each claim.",
        "legal_basis_zh": "第二条 依法登记存续。\n第三条 无欠税，上年度有纳税额。\n"
                          "第四条 每家企业 2 万元。",
        "legal_basis_en": "Art. 2 Active. Art. 3 No arrears, tax paid last year. "
                          "Art. 4 20,000 yuan each.",
        "version": {
            "criteria": {"all": [
                {"id": "active", "label": label("登记状态为存续", "Registered and active"),
                 "clause": "第二条", "fact": "market.registration_status", "op": "eq",
                 "value": "active"},
                {"id": "no-arrears", "label": label("无欠税", "No tax arrears"),
                 "clause": "第三条", "fact": "tax.arrears", "op": "eq", "value": "0.00"},
                {"id": "taxpayer", "label": label("上年度有纳税额", "Paid tax last year"),
                 "clause": "第三条", "fact": "tax.tax_paid", "op": "gt", "value": "0.00"},
            ]},
            "benefit": {"amount": "20000.00"},
            "parameters": {},
            "budget": Decimal("100000000.00"), "per_enterprise_cap": Decimal("20000.00"),
            "claim_period": "yearly",
        },
    },
    {
        "code": DISTRICT_POLICY, "department": "hrss", "author": "hrss_city",
        "approver": "hrss_binjiang", "benefit_type": "employment_subsidy",
        "delivery_mode": "confirm", "districts": ["binjiang"],
        "title_zh": "滨江区企业人才安居补贴", "title_en": "Binjiang talent housing subsidy",
        "summary_zh": "滨江区参保 10 人以上的企业，确认后即可领取人才安居补贴。",
        "summary_en": "Binjiang enterprises with at least ten insured staff receive a talent "
                      "housing subsidy with one click.",
        "legal_basis_zh": "第二条 注册地在滨江区。\n第三条 参保人数不少于 10 人。\n"
                          "第四条 每家企业 1 万元。",
        "legal_basis_en": "Art. 2 Registered in Binjiang. Art. 3 At least 10 insured. "
                          "Art. 4 10,000 yuan each.",
        "version": {
            "criteria": {"all": [
                {"id": "staff", "label": label("参保人数不少于 10 人", "At least 10 insured staff"),
                 "clause": "第三条", "fact": "hrss.insured_employees", "op": "ge", "value": 10},
                {"id": "active", "label": label("登记状态为存续", "Registered and active"),
                 "clause": "第二条", "fact": "market.registration_status", "op": "eq",
                 "value": "active"},
            ]},
            "benefit": {"amount": "10000.00"},
            "parameters": {},
            "budget": Decimal("50000000.00"), "per_enterprise_cap": Decimal("10000.00"),
            "claim_period": "yearly",
        },
    },
]  # fmt: skip

QUESTION = "研发奖励的申报条件是什么？"
BLACK_LISTED = 3


class Command(BaseCommand):
    help = "The demo city's story: department logins, a year of history, lists, offers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale", type=float, default=1.0, help="multiply the history's volumes"
        )

    def handle(self, *args: Any, scale: float, **options: Any) -> None:
        demo = User.objects.filter(username="enterprise").first()
        if demo is None:
            self.stderr.write("No demo user 'enterprise': run seed_demo first.")
            return
        self._history(HISTORY.scaled(scale))
        self._lists()
        for spec in STORY_POLICIES:
            if not Policy.objects.filter(code=spec["code"]).exists():
                with transaction.atomic():
                    create_policy(
                        spec,
                        User.objects.get(username=spec["author"]),
                        User.objects.get(username=spec["approver"]),
                    )
                self.stdout.write(f"{spec['code']}: published")
        # After the history and the policies: their departments receive work too.
        made = self._department_logins()
        own = list(
            Enterprise.objects.filter(memberships__user=demo, status=EnterpriseStatus.ACTIVE)
            .order_by("pk")
            .distinct()
        )
        if len(own) >= 2:
            self._waiting_for_data(demo, own[-1])
        self._answer_to_rate(demo, own[0])
        if made:
            self.stdout.write("Demo department logins (same password):")
            for username, shows in made:
                self.stdout.write(f"  {username:<18} {shows}")

    # --- people -----------------------------------------------------------------------------

    def _department_logins(self) -> list[tuple[str, str]]:
        """A city-wide official for every department that demo work goes to and that has
        none yet: the direct line's rules and coordinating office (and the departments the
        history routes requests to), the approval items, the policies, inspections."""
        codes = set(REQUEST_DEPARTMENTS) | {COORDINATING_OFFICE, "market"}
        codes |= set(RoutingRule.objects.values_list("department__code", flat=True))
        codes |= set(ItemType.objects.values_list("department__code", flat=True))
        codes |= set(Policy.objects.values_list("department__code", flat=True))
        # The generator's officials have no usable password: they answer nothing here.
        covered = set(
            User.objects.filter(role=Role.OFFICIAL, district__isnull=True, is_active=True)
            .exclude(password="")
            .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
            .values_list("department__code", flat=True)
        )
        made = []
        for department in Department.objects.filter(code__in=codes - covered).order_by("code"):
            username = f"{department.code}_city"
            if User.objects.filter(username=username).exists():
                continue
            create_user(
                username=username,
                password=DEMO_PASSWORD,
                role=Role.OFFICIAL,
                display_name=f"{department.name_zh} 演示科员",
                department=department,
            )
            made.append((username, f"{department.name_en}, city-wide"))
        return made

    # --- the year behind the dashboards ---------------------------------------------------

    def _history(self, volumes: Volumes) -> None:
        try:
            generate(
                volumes,
                months=HISTORY_MONTHS,
                seasonal=True,
                log=lambda line: None,
            )
        except AlreadyGenerated:
            return
        self.stdout.write("Twelve months of history written (sandbox/city/generator).")

    def _lists(self) -> None:
        """Black-listed: a serious penalty on record; red-listed: grade A held for a year
        (the generator's grades), both by the list rules themselves."""
        market = Department.objects.get(code="market")
        demo_ids = set(
            Enterprise.objects.filter(
                memberships__user__username__in=("enterprise", "enterprise2")
            ).values_list("pk", flat=True)
        )
        penalised = Enterprise.objects.filter(
            status=EnterpriseStatus.ACTIVE, credit_records__severity="serious"
        ).count()
        if penalised < BLACK_LISTED:
            candidates = (
                Enterprise.objects.filter(status=EnterpriseStatus.ACTIVE)
                .exclude(pk__in=demo_ids)
                .order_by("-pk")[: BLACK_LISTED - penalised]
            )
            for enterprise in candidates:
                add_record(
                    enterprise=enterprise,
                    kind="administrative_penalty",
                    severity="serious",
                    title="虚报冒领财政补贴，处以罚款（演示数据）",
                    occurred_on=timezone.localdate() - timedelta(days=40),
                    actor=None,
                    department=market,
                    legal_basis="《财政违法行为处罚处分条例》第十四条",
                )
        lists.apply_rules()

    # --- the demo enterprise's own cases -----------------------------------------------------

    def _waiting_for_data(self, demo: User, enterprise: Enterprise) -> None:
        """A claim waiting for department data: the tax bureau is down while it is checked
        (the sandbox's switch), and comes back at once; the claim is checked again on its
        back-off schedule (a minute, then five, fifteen...). The policy asks for a fact no
        earlier demo step has read (tax.tax_paid), so no cached answer stands in for it."""
        policy = Policy.objects.get(code=OPEN_POLICY)
        if Claim.objects.filter(enterprise=enterprise, policy=policy).exists():
            return
        taxation = Department.objects.get(code="taxation")
        setting, _created = SimulationSetting.objects.get_or_create(department=taxation)
        was_down = setting.down
        self._switch(setting, down=True)
        try:
            submit_claim(enterprise=enterprise, policy=policy, actor=demo, origin="enterprise")
        except ServiceError as error:
            self.stderr.write(f"waiting-for-data claim not made: {error}")
        finally:
            self._switch(setting, down=was_down)

    @staticmethod
    def _switch(setting: SimulationSetting, *, down: bool) -> None:
        setting.down = down
        setting.save(update_fields=["down"])
        forget_behaviour(setting.department.code)

    def _answer_to_rate(self, demo: User, enterprise: Enterprise) -> None:
        """A direct-line question, answered by the department it was routed to: the answer
        waits for the enterprise's rating."""
        if Request.objects.filter(enterprise=enterprise, subject=QUESTION).exists():
            return
        request = raise_request(
            actor=demo,
            enterprise=enterprise,
            category=Category.objects.get(code="policy_question"),
            subject=QUESTION,
            description="我们是一家软件企业，想了解研发奖励对纳税信用等级和营业收入的要求。",
        )
        official = (
            User.objects.filter(
                role=Role.OFFICIAL,
                department_id=request.department_id,
                district__isnull=True,
                username__endswith="_city",
            )
            .order_by("pk")
            .first()
        )
        if official is None:
            self.stderr.write(f"nobody answers for {request.department}: the answer is missing")
            return
        answer(
            request.pk,
            actor=official,
            text="您好：研发奖励要求纳税信用 A 或 B 级、依法登记存续，按上年度营业收入分档奖励。"
            "可在“政策”页面查看条款并直接申领。",
        )
