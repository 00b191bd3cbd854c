"""Three realistic demo policies, drafted, tested and published with four eyes.

Run after seed_demo and refresh_extracts (publication forecasts the cost from the extracts).
Publishing an automatic or confirm version starts its batch run through the broker (a worker
runs it under `make run`); the seed then runs every such run to the end in this process, so
the demo city has a finished run (paid, offered) before any worker starts.
Idempotent: a policy that exists is left alone, and a run that is done is not started again
(subsidies.batch.start: one run per version; a chunk done is skipped, a claim paid once)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

from celery import current_app
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from departments.models import Department, District
from policies.models import Policy, PolicyVersion, VersionStatus
from policies.services.boundary_cases import generate_boundary_cases
from policies.services.drafts import create_draft
from policies.services.publication import PublicationBlocked, approve, submit_for_approval
from sandbox.city.generator.policy_specs import EMPLOYEE_RENT_SUBSIDY
from subsidies import batch
from subsidies.models import BatchRun


def label(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


POLICIES: list[dict[str, Any]] = [
    {
        "code": "stable-jobs-2026", "department": "hrss", "author": "hrss_city",
        "approver": "hrss_binjiang", "benefit_type": "employment_subsidy",
        "delivery_mode": "automatic",
        "title_zh": "2026 年度稳岗返还补贴", "title_en": "2026 job stability refund",
        "summary_zh": "按参保人数返还部分失业保险费，符合条件的企业免申即享。",
        "summary_en": "Part of the unemployment insurance paid is refunded per insured "
                      "employee; qualifying enterprises receive it without applying.",
        "legal_basis_zh": "第三条 参保人数不少于 10 人。\n第四条 依法登记存续，无欠税，未列入经营异常名录。\n"
                          "第五条 连续缴纳社会保险满 12 个月。\n第六条 每名参保职工返还 300 元，每家企业最高 5 万元。",
        "legal_basis_en": "Art. 3 At least 10 insured. Art. 4 Active, no arrears, not abnormal. "
                          "Art. 5 Twelve months of contributions. Art. 6 300 yuan per insured, "
                          "at most 50,000 per enterprise.",
        "version": {
            "criteria": {"all": [
                {"id": "staff", "label": label("参保人数不少于 10 人", "At least 10 insured staff"),
                 "clause": "第三条", "fact": "hrss.insured_employees", "op": "ge",
                 "value": {"param": "min_staff"}},
                {"id": "active", "label": label("登记状态为存续", "Registered and active"),
                 "clause": "第四条", "fact": "market.registration_status", "op": "eq",
                 "value": "active"},
                {"id": "no-arrears", "label": label("无欠税", "No tax arrears"),
                 "clause": "第四条", "fact": "tax.arrears", "op": "eq", "value": "0.00"},
                {"id": "not-abnormal", "label": label("未列入经营异常名录", "Not on the abnormal list"),
                 "clause": "第四条", "fact": "market.abnormal_operations", "op": "is_false"},
                {"id": "contributions", "label": label("连续缴费满 12 个月", "12 months of contributions"),
                 "clause": "第五条", "fact": "hrss.continuous_contribution_months", "op": "ge",
                 "value": 12},
            ]},
            "benefit": {"mul": [{"param": "per_insured"}, {"fact": "hrss.insured_employees"}]},
            "parameters": {
                "min_staff": {"type": "integer", "values": [
                    {"from": "2026-01-01", "value": 10, "reference": "第三条"}]},
                "per_insured": {"type": "money", "values": [
                    {"from": "2026-01-01", "value": "300.00", "reference": "第六条"}]},
            },
            "budget": Decimal("300000000.00"), "per_enterprise_cap": Decimal("50000.00"),
            "claim_period": "yearly",
        },
    },
    {
        "code": "small-rent-2026", "department": "housing", "author": "housing_city",
        "approver": "housing_city2", "benefit_type": "rent_subsidy", "delivery_mode": "confirm",
        "title_zh": "小微企业房租补贴", "title_en": "Rent subsidy for small enterprises",
        "summary_zh": "租赁合同已备案、租赁面积 50 至 1000 平方米的小微企业，补贴三个月租金的 30%。",
        "summary_en": "Small enterprises with a registered lease of 50 to 1,000 m² receive 30% "
                      "of three months' rent.",
        "legal_basis_zh": "第二条 租赁合同已备案。\n第三条 租赁面积 50 至 1000 平方米（含 50，不含 1000）。\n"
                          "第四条 参保人数 1 至 99 人。\n第五条 补贴三个月租金的 30%，最高 3 万元。",
        "legal_basis_en": "",
        "version": {
            "criteria": {"all": [
                {"id": "lease", "label": label("租赁合同已备案", "Lease registered"),
                 "clause": "第二条", "fact": "housing.lease_registered", "op": "is_true"},
                {"id": "area", "label": label("租赁面积 50–1000 平方米", "50 to 1,000 m² leased"),
                 "clause": "第三条", "fact": "housing.leased_floor_area", "op": "between",
                 "value": {"from": "50.0", "to": "1000.0", "inclusive": [True, False]}},
                {"id": "small", "label": label("参保人数 1 至 99 人", "1 to 99 insured staff"),
                 "clause": "第四条", "fact": "hrss.insured_employees", "op": "between",
                 "value": {"from": 1, "to": 99}},
            ]},
            "benefit": {"mul": [{"fact": "housing.monthly_rent"}, {"number": "0.9"}]},
            "parameters": {},
            "budget": Decimal("200000000.00"), "per_enterprise_cap": Decimal("30000.00"),
            "claim_period": "yearly",
        },
    },
    {
        "code": "rd-award-2026", "department": "science", "author": "science_city",
        "approver": "science_city2", "benefit_type": "award", "delivery_mode": "apply",
        "title_zh": "科技型企业研发奖励", "title_en": "R&D award for technology enterprises",
        "summary_zh": "制造业、信息技术和科技服务业企业，纳税信用 A 或 B 级，按营业收入分档奖励。",
        "summary_en": "Manufacturing, IT and technical-service enterprises with tax grade A or "
                      "B receive an award banded by revenue.",
        "legal_basis_zh": "第二条 纳税信用等级为 A 级或 B 级。\n第三条 依法登记存续。\n"
                          "第四条 按上年度营业收入分档：500 万元以下 5 万元，500 万至 5000 万元 10 万元，5000 万元以上 20 万元。",
        "legal_basis_en": "",
        "industries": ["C", "I", "M"],
        "version": {
            "criteria": {"all": [
                {"id": "grade", "label": label("纳税信用 A 或 B 级", "Tax credit grade A or B"),
                 "clause": "第二条", "fact": "tax.credit_grade", "op": "in", "value": ["A", "B"]},
                {"id": "active", "label": label("登记状态为存续", "Registered and active"),
                 "clause": "第三条", "fact": "market.registration_status", "op": "eq",
                 "value": "active"},
            ]},
            "benefit": {"tiers": {"fact": "tax.annual_revenue", "bands": [
                {"from": "0.00", "to": "5000000.00", "amount": {"amount": "50000.00"}},
                {"from": "5000000.00", "to": "50000000.00", "amount": {"amount": "100000.00"}},
                {"from": "50000000.00", "amount": {"amount": "200000.00"}},
            ]}},
            "parameters": {},
            "budget": Decimal("500000000.00"), "per_enterprise_cap": None,
            "claim_period": "yearly",
        },
    },
]  # fmt: skip


class Command(BaseCommand):
    help = "Create and publish the demo policies (four eyes, tests, budget check)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--budget", type=Decimal, default=None,
            help="every demo policy's budget in yuan (benchmarks over a million enterprises "
                 "need more than the demo's)",
        )  # fmt: skip
        parser.add_argument(
            "--leave-batch-runs", action="store_true",
            help="leave the publications' batch runs to a worker instead of running them here "
                 "(a test that makes its own claims under these policies)",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        for spec in [*POLICIES, *PERSON_POLICIES]:
            if options.get("budget") is not None:
                spec = {**spec, "version": {**spec["version"], "budget": options["budget"]}}
            if Policy.objects.filter(code=spec["code"]).exists():
                continue
            author = User.objects.filter(username=spec["author"]).first()
            approver = User.objects.filter(username=spec["approver"]).first()
            if author is None or approver is None:
                raise CommandError("Run seed_demo first: the demo officials are missing.")
            try:
                with transaction.atomic():  # a blocked publication leaves nothing behind
                    create_policy(spec, author, approver)
            except PublicationBlocked as error:
                self.stderr.write(f"{spec['code']}: not published: {error}")
                continue
            self.stdout.write(f"{spec['code']}: published")
        for version in [] if options.get("leave_batch_runs") else runs_owed():
            run = run_to_the_end(version)
            self.stdout.write(
                f"{version.policy.code}: batch run {run.status}, {run.qualified} qualified"
                if run
                else f"{version.policy.code}: no batch run"
            )


# The seed's own example (issue #26), paid to each qualifying employee: published and run
# like the others, once the persons' extracts are there (seed_demo_city's order); with no
# person extract yet, its publication is refused with the reason, the others go ahead.
PERSON_POLICIES: list[dict[str, Any]] = [EMPLOYEE_RENT_SUBSIDY]


def runs_owed() -> list[PolicyVersion]:
    """The demo policies' published automatic and confirm versions whose run is not done."""
    published = PolicyVersion.objects.filter(
        policy__code__in=[spec["code"] for spec in [*POLICIES, *PERSON_POLICIES]],
        policy__delivery_mode__in=batch.BATCH_MODES,
        status=VersionStatus.PUBLISHED,
    ).select_related("policy")
    return list(published.exclude(batch_run__status=BatchRun.Status.DONE).order_by("pk"))


@contextmanager
def tasks_in_this_process() -> Iterator[None]:
    """The run's chunks (decide, then pay) run here as they are queued, as in the tests."""
    conf = current_app.conf
    before = conf.task_always_eager
    conf.task_always_eager = True
    try:
        yield
    finally:
        conf.task_always_eager = before


def run_to_the_end(version: PolicyVersion) -> BatchRun | None:
    """The version's batch run, the one publication started (or starts it): evaluated over
    the extracts, its claims decided and paid through the payment pipeline."""
    with tasks_in_this_process():
        return batch.start(version.pk)


def create_policy(spec: dict, author: User, approver: User) -> None:
    """Draft, test, submit and approve (four eyes) one policy of `spec`; publication
    starts its batch run (automatic and confirm modes)."""
    policy = Policy.objects.create(
        code=spec["code"], department=Department.objects.get(code=spec["department"]),
        title_zh=spec["title_zh"], title_en=spec["title_en"],
        summary_zh=spec["summary_zh"], summary_en=spec["summary_en"],
        legal_basis_zh=spec["legal_basis_zh"], legal_basis_en=spec["legal_basis_en"],
        benefit_type=spec["benefit_type"], delivery_mode=spec["delivery_mode"],
        target_industry_sections=spec.get("industries", []),
    )  # fmt: skip
    if spec.get("districts"):
        policy.target_districts.set(District.objects.filter(code__in=spec["districts"]))
    # The year the demo is seeded in (one claim period of a yearly policy, so the forecast
    # fits the budget), so a demo seeded next year still has policies to claim.
    year = timezone.localdate().year
    version = create_draft(policy=policy, actor=author, valid_from=date(year, 1, 1),
                           valid_until=date(year, 12, 31), rounding="half_up",
                           **spec["version"])  # fmt: skip
    generate_boundary_cases(version)
    version = submit_for_approval(version, actor=author)
    approve(version, actor=approver)
