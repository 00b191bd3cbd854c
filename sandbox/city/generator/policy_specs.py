"""The policies the generated city publishes, their outcomes and how long cash takes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class PolicySpec:
    slug: str
    department: str
    title_zh: str
    title_en: str
    benefit_type: str
    mode: str  # automatic / confirm / apply
    period: str  # yearly / quarterly / once
    median_yuan: int
    cap_yuan: int
    weight: float  # share of the claims
    sections: tuple[str, ...] = ()


POLICIES: tuple[PolicySpec, ...] = (
    PolicySpec(
        "stable-jobs",
        "hrss",
        "稳岗返还补贴",
        "Job stability refund",
        "employment_subsidy",
        "automatic",
        "yearly",
        3000,
        50000,
        0.16,
    ),
    PolicySpec(
        "hiring-graduates",
        "hrss",
        "吸纳高校毕业生就业补贴",
        "Hiring graduates subsidy",
        "employment_subsidy",
        "automatic",
        "quarterly",
        1500,
        20000,
        0.09,
    ),
    PolicySpec(
        "training",
        "hrss",
        "以工代训补贴",
        "Training-on-the-job subsidy",
        "employment_subsidy",
        "confirm",
        "quarterly",
        2000,
        30000,
        0.07,
    ),
    PolicySpec(
        "small-rent",
        "housing",
        "小微企业房租补贴",
        "Rent subsidy for small enterprises",
        "rent_subsidy",
        "confirm",
        "yearly",
        8000,
        30000,
        0.08,
    ),
    PolicySpec(
        "fee-relief",
        "taxation",
        "小微企业“六税两费”减免",
        "Six taxes and two fees relief",
        "tax_relief",
        "automatic",
        "quarterly",
        1200,
        10000,
        0.12,
    ),
    PolicySpec(
        "vat-refund",
        "taxation",
        "增值税留抵退税",
        "VAT credit refund",
        "tax_relief",
        "automatic",
        "yearly",
        20000,
        500000,
        0.05,
    ),
    PolicySpec(
        "rd-award",
        "science",
        "企业研发投入奖励",
        "R&D investment award",
        "award",
        "apply",
        "yearly",
        50000,
        1000000,
        0.03,
        ("C", "I", "M"),
    ),
    PolicySpec(
        "high-tech",
        "science",
        "高新技术企业认定奖励",
        "High-tech enterprise award",
        "award",
        "apply",
        "once",
        200000,
        500000,
        0.01,
        ("C", "I", "M"),
    ),
    PolicySpec(
        "digital-upgrade",
        "economy",
        "数字化改造补助",
        "Digital upgrade grant",
        "cash_subsidy",
        "apply",
        "yearly",
        80000,
        2000000,
        0.02,
        ("C",),
    ),
    PolicySpec(
        "specialised-sme",
        "economy",
        "专精特新企业奖励",
        "Specialised and innovative SME award",
        "award",
        "apply",
        "once",
        300000,
        1000000,
        0.01,
        ("C", "I"),
    ),
    PolicySpec(
        "energy-saving",
        "economy",
        "节能技术改造补助",
        "Energy-saving retrofit grant",
        "cash_subsidy",
        "confirm",
        "yearly",
        30000,
        500000,
        0.02,
        ("C", "D"),
    ),
    PolicySpec(
        "export-credit",
        "commerce",
        "出口信用保险保费补助",
        "Export credit insurance premium subsidy",
        "cash_subsidy",
        "automatic",
        "quarterly",
        5000,
        100000,
        0.06,
        ("C", "F"),
    ),
    PolicySpec(
        "e-commerce",
        "commerce",
        "跨境电商发展扶持",
        "Cross-border e-commerce support",
        "cash_subsidy",
        "confirm",
        "yearly",
        20000,
        300000,
        0.03,
        ("F", "I"),
    ),
    PolicySpec(
        "loan-interest",
        "local_finance",
        "小微企业贷款贴息",
        "Small enterprise loan interest subsidy",
        "interest_subsidy",
        "automatic",
        "quarterly",
        4000,
        50000,
        0.08,
    ),
    PolicySpec(
        "guarantee-fee",
        "local_finance",
        "融资担保费补贴",
        "Financing guarantee fee subsidy",
        "interest_subsidy",
        "confirm",
        "yearly",
        6000,
        50000,
        0.04,
    ),
    PolicySpec(
        "talent-housing",
        "housing_fund",
        "人才租房补贴",
        "Talent rental housing subsidy",
        "rent_subsidy",
        "automatic",
        "monthly",
        800,
        5000,
        0.06,
    ),
    PolicySpec(
        "tourism-recovery",
        "culture_tourism",
        "文旅企业纾困补助",
        "Tourism recovery grant",
        "cash_subsidy",
        "confirm",
        "once",
        10000,
        100000,
        0.02,
        ("H", "R"),
    ),
    PolicySpec(
        "logistics",
        "transport",
        "物流降本增效奖励",
        "Logistics efficiency award",
        "award",
        "apply",
        "yearly",
        50000,
        500000,
        0.01,
        ("G",),
    ),
    PolicySpec(
        "green-agri",
        "agriculture",
        "绿色农业补贴",
        "Green agriculture subsidy",
        "cash_subsidy",
        "automatic",
        "yearly",
        5000,
        50000,
        0.02,
        ("A",),
    ),
    PolicySpec(
        "first-set",
        "ndrc",
        "首台（套）装备奖励",
        "First-of-a-kind equipment award",
        "award",
        "apply",
        "once",
        500000,
        3000000,
        0.02,
        ("C",),
    ),
)
# Claim outcomes by delivery mode, chosen so that the city as a whole is about 80 % paid,
# 8 % not eligible, 3 % waiting for data, 2 % in review and 2 % payment failed.
STATUS_MIX: dict[str, dict[str, float]] = {
    "automatic": {
        "paid": 84.5,
        "ineligible": 8,
        "awaiting_data": 3.5,
        "payment_failed": 2.5,
        "budget_exhausted": 1,
        "paying": 0.5,
    },
    "confirm": {
        "paid": 78,
        "ineligible": 6,
        "awaiting_data": 3,
        "offered": 8,
        "withdrawn": 2,
        "payment_failed": 2,
        "budget_exhausted": 0.5,
        "paying": 0.5,
    },
    "apply": {
        "paid": 58,
        "ineligible": 12,
        "awaiting_data": 2,
        "in_review": 17,
        "rejected": 7,
        "withdrawn": 2,
        "payment_failed": 2,
    },
}
# Typical time from the claim to the treasury's confirmation, in seconds: log-normal (median,
# sigma), and a long tail of 2 % ten to a hundred times slower (retries, bank holidays).
CLAIM_TO_CASH: dict[str, tuple[float, float]] = {
    "automatic": (2.2, 0.45),
    "confirm": (3 * 3600, 1.8),  # the enterprise's click: minutes to days
    "apply": (2 * 86400, 1.0),  # an official's review: hours to a week
}
ELIGIBILITY_CRITERIA = {
    "all": [
        {
            "id": "active",
            "label": {"zh": "登记状态为存续", "en": "Registered and active"},
            "clause": "第一条",
            "fact": "market.registration_status",
            "op": "eq",
            "value": "active",
        },
    ]
}


def benefit_formula(spec: PolicySpec) -> dict:
    # Literals as {"amount": …}: a bare string is not a formula (policies.rules), and the
    # policy's page and every enterprise's calculator failed on it (found by bench/load.py).
    return {"min": [{"mul": [{"fact": "hrss.insured_employees"}, {"amount": "300.00"}]},
                    {"amount": f"{spec.cap_yuan}.00"}]}  # fmt: skip


# The seed's own example (issue #26): the 2020 "enterprise employee rental subsidy", paid to
# each qualifying employee into their own bank account (beneficiary "person"), not to the
# enterprise. Defined here with the demo's policies; sandbox/city seeds the persons, then
# publishes and runs it (seed_demo_policies' shape: code, officials, texts, version).
def _label(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


TALENT_LEVELS = ("A", "B", "C", "D", "E")
EMPLOYEE_RENT_SUBSIDY: dict = {
    "code": "employee-rent-2026", "department": "housing", "author": "housing_city",
    "approver": "housing_city2", "benefit_type": "rent_subsidy", "delivery_mode": "automatic",
    "title_zh": "企业员工租房补贴", "title_en": "Employee rent subsidy",
    "summary_zh": "在本市参保满 6 个月、本市无房的 35 周岁以下或入选人才分类目录的企业员工，"
                  "按月领取租房补贴，直接发放到本人社保卡银行账户，无需申请。",
    "summary_en": "Employees insured by an enterprise in the city for at least 6 months who own "
                  "no home here and are under 35 or listed in the talent catalogue receive a "
                  "monthly rent subsidy, paid into their own social security card's bank "
                  "account without applying.",
    "legal_basis_zh": "第二条 由本市企业连续缴纳社会保险满 6 个月。\n"
                      "第三条 本人在本市无自有住房。\n"
                      "第四条 未满 35 周岁，或入选本市人才分类目录。\n"
                      "第五条 参保单位依法经营，未列入失信黑名单。\n"
                      "第六条 每人每月 500 元；入选人才分类目录的，每人每月 1000 元。"
                      "补贴直接发放至本人社会保障卡银行账户。",
    "legal_basis_en": "Art. 2 Insured by an enterprise in the city for at least 6 months. "
                      "Art. 3 Owns no home in the city. Art. 4 Under 35, or listed in the "
                      "city's talent catalogue. Art. 5 The employer is in business and not on "
                      "the black list. Art. 6 500 yuan a month; 1,000 yuan for the talent "
                      "catalogue's levels; paid into the person's social security card account.",
    "version": {
        "beneficiary": "person",
        "criteria": {"all": [
            {"id": "insured", "label": _label("正在参加社会保险", "Socially insured now"),
             "clause": "第二条", "fact": "person.hrss.insured", "op": "is_true"},
            {"id": "six-months", "label": _label("在本单位参保满 6 个月",
                                                 "Insured by the employer 6 months or more"),
             "clause": "第二条", "fact": "person.hrss.months_paid", "op": "ge",
             "value": {"param": "min_months"}},
            {"id": "no-home", "label": _label("在本市无自有住房", "Owns no home in the city"),
             "clause": "第三条", "fact": "person.housing.owns_home", "op": "is_false"},
            {"any": [
                {"id": "under-35", "label": _label("未满 35 周岁", "Under 35"),
                 "clause": "第四条", "fact": "person.hrss.age", "op": "lt",
                 "value": {"param": "max_age"}},
                {"id": "talent",
                 "label": _label("入选人才分类目录", "Listed in the talent catalogue"),
                 "clause": "第四条", "fact": "person.talent.level", "op": "in",
                 "value": list(TALENT_LEVELS)},
            ], "id": "young-or-talent",
             "label": _label("未满 35 周岁或入选人才目录", "Under 35 or a listed talent")},
            {"id": "employer-not-black-listed",
             "label": _label("参保单位未列入失信黑名单", "The employer is not on the black list"),
             "clause": "第五条", "fact": "credit.black_list", "op": "is_false"},
        ]},
        "benefit": {"choose": {
            "fact": "person.talent.level",
            "cases": {level: {"param": "per_month_talent"} for level in TALENT_LEVELS},
            "otherwise": {"param": "per_month"},
        }},
        "parameters": {
            "min_months": {"type": "integer", "values": [
                {"from": "2026-01-01", "value": 6, "reference": "第二条"}]},
            "max_age": {"type": "integer", "values": [
                {"from": "2026-01-01", "value": 35, "reference": "第四条"}]},
            "per_month": {"type": "money", "values": [
                {"from": "2026-01-01", "value": "500.00", "reference": "第六条"}]},
            "per_month_talent": {"type": "money", "values": [
                {"from": "2026-01-01", "value": "1000.00", "reference": "第六条"}]},
        },
        "budget": Decimal("200000000.00"), "per_enterprise_cap": None,
        "claim_period": "monthly",
    },
}  # fmt: skip
