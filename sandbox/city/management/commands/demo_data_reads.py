"""Demo reads of department data, so the call log and "who read our data" have something to
show after `make run`. Idempotent: it does nothing when demo reads exist."""

from typing import Any

from django.core.management.base import BaseCommand

from accounts.models import User
from datahub.fetching.pipeline import fetch_facts
from datahub.models import DataCall
from enterprises.models import Enterprise

READS = [
    ("market_xihu", ["market.registration_status", "market.abnormal_operations"],
     "演示：企业开办核验 (demo: establishment check)"),
    ("tax_city", ["tax.annual_revenue", "tax.arrears", "tax.credit_grade"],
     "演示：惠企补贴资格核验 (demo: subsidy eligibility)"),
    ("hrss_binjiang", ["hrss.insured_employees", "hrss.new_hires_this_year"],
     "演示：稳岗补贴核验 (demo: employment subsidy)"),
    (None, ["housing.leased_floor_area", "housing.monthly_rent", "housing.lease_registered"],
     "演示：房租补贴预审 (demo: rent subsidy pre-check)"),
]  # fmt: skip


class Command(BaseCommand):
    help = "Make a few demo reads of department data for the demo enterprises."

    def handle(self, *args: Any, **options: Any) -> None:
        if DataCall.objects.filter(purpose__in=[purpose for _u, _n, purpose in READS]).exists():
            self.stdout.write("Demo data reads exist already.")
            return
        demo = User.objects.filter(username="enterprise").first()
        enterprises = list(Enterprise.objects.filter(memberships__user=demo)) if demo else []
        enterprises += list(Enterprise.objects.order_by("id")[:20])
        for enterprise in dict.fromkeys(enterprises):
            for username, names, purpose in READS:
                official = User.objects.filter(username=username).first() if username else None
                fetch_facts(enterprise, names, purpose=purpose, requested_by=official)
        self.stdout.write(f"Demo data reads made for {len(set(enterprises))} enterprises.")
