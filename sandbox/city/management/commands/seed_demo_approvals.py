"""Demo approvals, so that `make run` shows every page with something in it: a draft, a
project in review with an item approved, one waiting for a supplement and one rejected, a
project approved on commitment, one running late (the queue's warning and overdue rows),
and an enterprise established by a new founder. Everything goes through the services.
Idempotent: a scenario whose application exists is left alone.

Demo logins added (password as for `seed_demo`): the officials of the five project
departments and `founder`, a person without an enterprise yet.
"""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import create_user
from approvals.models import Application, Item, ItemStatus, ServicePackage
from approvals.services.applications import save_answers, start_application, submit_application
from approvals.services.decisions import approve_item, assign_item, reject_item, request_supplement
from approvals.services.refusals import ApprovalRefused
from departments.models import Department, District
from enterprises.models import EnterpriseMembership
from qinqing.workhours.case_services import read_clock
from sandbox.city.logins import DEMO_PASSWORD

# username, display name, department, district (None: city-wide), what it shows
DEMO_OFFICIALS = (
    ("ndrc_city", "发改 钱科长", "ndrc", None, "Development and Reform: project filing"),
    ("planning_xihu", "规划 孙科员", "planning", "xihu", "Planning, Xihu: planning permits"),
    ("construction_city", "建设 李科长", "construction", None, "Construction permits"),
    ("ecology_city", "生态环境 周科长", "ecology", None, "Environmental impact"),
    ("emergency_city", "应急管理 吴科员", "emergency", None, "Fire safety design review"),
)
FOUNDER = ("founder", "创业者 陈晨", "a person opening a new enterprise")

PROJECT = {
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
    "enterprise_name": "杭州青晴演示新创科技有限公司",
    "district": "binjiang",
    "address": "滨江区网商路599号",
    "industry_division": "65",
    "business_scope": "软件开发；信息技术咨询服务",
    "registered_capital": "1000000",
    "legal_representative": "陈晨",
    "shareholders": "陈晨\n王芳",
    "contact_phone": "13800138000",
    "bank_name": "杭州银行滨江支行",
    "bank_account": "6222020200998877665",
}


class Command(BaseCommand):
    help = "Create demo approval applications in different states (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        officials = self._officials()
        founder = self._founder()
        applicant = User.objects.filter(username="enterprise").first()
        if applicant is None:
            self.stderr.write("No demo user 'enterprise': run seed_demo first.")
            return
        enterprises = [
            m.enterprise
            for m in EnterpriseMembership.objects.filter(user=applicant)
            .select_related("enterprise")
            .order_by("enterprise_id")
            if m.enterprise.is_in_business
        ]
        if not enterprises:
            self.stderr.write("The demo user 'enterprise' has no enterprise in business.")
            return
        first, second = enterprises[0], enterprises[-1]
        project = ServicePackage.objects.get(code="industrial-project")
        made = []
        made += self._scenario(applicant, first, project, "滨江智能装备产业园（草稿）", self._draft)
        made += self._scenario(
            applicant,
            first,
            project,
            "年产5万台电机智能工厂",
            lambda a: self._mixed(a, applicant, officials),
        )
        made += self._scenario(
            applicant,
            second,
            project,
            "新能源电池包装车间扩建",
            lambda a: self._committed(a, applicant),
        )
        made += self._scenario(
            applicant,
            second,
            project,
            "高端医疗器械研发中试基地",
            lambda a: self._late(a, applicant),
        )
        made += self._establishment(founder)
        self.stdout.write(
            f"Demo approvals: {len(made)} applications made now "
            f"({', '.join(made) or 'all were there'})."
        )
        self.stdout.write("Demo approval logins (same password):")
        for username, _name, _department, _district, shows in DEMO_OFFICIALS:
            self.stdout.write(f"  {username:<18} {shows}")
        self.stdout.write(f"  {FOUNDER[0]:<18} {FOUNDER[2]}")

    # --- people -----------------------------------------------------------------------------

    @transaction.atomic
    def _officials(self) -> dict[str, User]:
        found = {}
        for username, name, department, district, _shows in DEMO_OFFICIALS:
            user = User.objects.filter(username=username).first() or create_user(
                username=username,
                password=DEMO_PASSWORD,
                role=Role.OFFICIAL,
                display_name=name,
                department=Department.objects.get(code=department),
                district=District.objects.get(code=district) if district else None,
            )
            found[department] = user
        return found

    def _founder(self) -> User:
        username, name, _shows = FOUNDER
        return User.objects.filter(username=username).first() or create_user(
            username=username, password=DEMO_PASSWORD, role=Role.ENTERPRISE, display_name=name
        )

    # --- scenarios ----------------------------------------------------------------------------

    def _scenario(self, applicant, enterprise, package, title, then) -> list[str]:
        if Application.objects.filter(applicant=applicant, title=title).exists():
            return []
        application = start_application(package=package, actor=applicant, enterprise=enterprise)
        answers = {**PROJECT, "project_name": title}
        if then == self._draft:
            answers = {"project_name": title, "land_parcel": "BJ2026-031", "floor_area": "12000"}
        save_answers(application.pk, actor=applicant, answers=answers)
        then(application)
        return [title]

    def _draft(self, application: Application) -> None:
        """Left half-filled: the sheet's task list shows what is missing."""

    def _mixed(self, application: Application, applicant: User, officials) -> None:
        save_answers(
            application.pk,
            actor=applicant,
            answers={},
            disputes={"district": "项目地块位于西湖区三墩镇，与注册地不同"},
        )
        submit_application(application.pk, actor=applicant)
        items = {i.item_type.code: i for i in application.items.select_related("item_type")}
        approve_item(
            items["project-filing"].pk, actor=officials["ndrc"], note="符合产业政策，予以备案"
        )
        request_supplement(
            items["planning-permit"].pk,
            actor=officials["planning"],
            message="请补充建设用地规划许可证及总平面图说明。",
        )
        reject_item(
            items["fire-design-review"].pk,
            actor=officials["emergency"],
            reasons="疏散楼梯宽度不满足 GB 50016 要求，请修改设计后重新提交。",
        )
        assign_item(
            items["eia-approval"].pk, actor=officials["ecology"], assignee=officials["ecology"]
        )

    def _committed(self, application: Application, applicant: User) -> None:
        try:
            submit_application(application.pk, actor=applicant, on_commitment=True)
        except ApprovalRefused as refusal:
            self.stderr.write(f"commitment route refused ({refusal}); submitted for review")
            submit_application(application.pk, actor=applicant)

    def _late(self, application: Application, applicant: User) -> None:
        """Demo only: the clock of two items is set back after submission, so that the queue
        shows an item past 80 % of its limit and an overdue one."""
        submit_application(application.pk, actor=applicant)
        now = timezone.now()
        items = {i.item_type.code: i for i in application.items.select_related("item_type")}
        for code, share in (("project-filing", 1.3), ("construction-permit", 0.85)):
            item = items[code]
            item.started_at = now
            while read_clock(item, now).fraction_used < share:
                item.started_at -= timedelta(minutes=15)
            Item.objects.filter(pk=item.pk, status=ItemStatus.PENDING).update(
                started_at=item.started_at, deadline=read_clock(item, now).deadline
            )

    def _establishment(self, founder: User) -> list[str]:
        package = ServicePackage.objects.get(code="enterprise-establishment")
        title = ESTABLISHMENT["enterprise_name"]
        if Application.objects.filter(applicant=founder, title=title).exists():
            return []
        application = start_application(package=package, actor=founder)
        save_answers(application.pk, actor=founder, answers=ESTABLISHMENT)
        submit_application(application.pk, actor=founder)
        return [title]
