"""The seed's example for the person pages' tests: the employee rent subsidy, published for
persons, and a person's claims on it built directly (the batch that makes them is
subsidies', tested there)."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from policies.models import Beneficiary, DeliveryMode, Policy, PolicyVersion
from subsidies.models import Claim, ClaimStatus, Disbursement, DisbursementStatus
from tests.factories import department

TODAY = date.today()
ACCOUNT = "6222020200112233445"
LABELS = {
    "months": {"zh": "在本单位参保满6个月", "en": "Insured by the employer for 6 months"},
    "home": {"zh": "在本市无自有住房", "en": "Owns no home in the city"},
    "employer": {"zh": "单位正常经营", "en": "The employer is in business"},
}
# A decision's criteria as the check records them (CriterionResult.as_json).
CRITERIA = [
    {"id": "months", "label": LABELS["months"], "clause": "§3", "fact": "person.hrss.months_paid",
     "value": 14, "op": "ge", "threshold": 6, "result": True, "negated": False,
     "alternative": False, "met": True, "department": "hrss"},
    {"id": "home", "label": LABELS["home"], "clause": "§4", "fact": "person.housing.owns_home",
     "value": False, "op": "eq", "threshold": False, "result": True, "negated": False,
     "alternative": False, "met": True, "department": "housing"},
    {"id": "employer", "label": LABELS["employer"], "clause": "§5",
     "fact": "market.registration_status", "value": "active", "op": "eq",
     "threshold": "active", "result": True, "negated": False, "alternative": False,
     "met": True, "department": "market"},
]  # fmt: skip


def rent_policy(mode: str = DeliveryMode.AUTOMATIC, code: str = "rent",
                beneficiary: str = Beneficiary.PERSON) -> Policy:  # fmt: skip
    policy = Policy.objects.create(
        code=code, department=department("hrss"), title_zh="企业员工租房补贴",
        title_en="Employee rent subsidy", summary_zh="按月补贴租房", summary_en="Monthly rent help",
        legal_basis_zh="第三条", benefit_type="rent_subsidy", delivery_mode=mode,
    )  # fmt: skip
    PolicyVersion.objects.create(
        policy=policy, number=1, status="published", published_at=timezone.now(),
        valid_from=TODAY - timedelta(days=30), valid_until=TODAY + timedelta(days=300),
        criteria={"all": [{"id": "employer", "label": LABELS["employer"], "clause": "§5",
                           "fact": "market.registration_status", "op": "eq",
                           "value": "active"}]},
        benefit={"amount": "500.00"}, parameters={}, rounding="half_up",
        budget=Decimal("1000000.00"), claim_period="monthly", beneficiary=beneficiary,
    )  # fmt: skip
    return policy


def person_claim(person, policy, employer, *, status=ClaimStatus.PAID, period=None,
                 amount="500.00", paid=True) -> Claim:  # fmt: skip
    version = policy.versions.get()
    claim = Claim.objects.create(
        enterprise=employer, person=person, policy=policy, version=version,
        period=period or f"{TODAY:%Y-%m}", status=status, amount=Decimal(amount),
        decision={"status": "eligible", "criteria": CRITERIA, "rules_on": TODAY.isoformat()},
        origin="batch",
    )  # fmt: skip
    if paid:
        Disbursement.objects.create(
            claim=claim, idempotency_key=f"qinqing-claim-{claim.pk}", amount=claim.amount,
            bank_name="中国工商银行杭州分行", bank_account=ACCOUNT,
            status=DisbursementStatus.CONFIRMED, reference=f"HZT{claim.pk:08d}",
            confirmed_at=timezone.now(),
        )  # fmt: skip
    return claim
