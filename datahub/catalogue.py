"""The fact catalogue: every fact the portal may ask a department for, declared once.

A fact has a dotted name, an owning department and interface, a type its values are
normalised to on arrival, the period it describes, how fresh it must be, and a label in
both languages. Policies, approvals and credit name facts from here and nothing else.
"""

import enum
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from enterprises.industries import DIVISIONS
from qinqing.masking import mask_digits

# FactType lives in datahub/facttypes.py (no Django, for the rule engine); read here too.
from .facttypes import TYPE_LABELS, FactType

TYPE_LABELS.update(
    {
        FactType.MONEY: _("amount (yuan)"),
        FactType.DECIMAL: _("number"),
        FactType.INTEGER: _("whole number"),
        FactType.DATE: _("date"),
        FactType.BOOLEAN: _("yes or no"),
        FactType.ENUM: _("one of"),
        FactType.TEXT: _("text"),
    }
)
_UNIT_LABELS = {
    "CNY": _("yuan"),
    "persons": _("persons"),
    "months": _("months"),
    "years": _("years"),
    "parcels": _("parcels"),
    "m²": "m²",
}


class Period(enum.StrEnum):
    """What the value describes, relative to the day it is asked for."""

    LAST_FISCAL_YEAR = "last_fiscal_year"
    CURRENT_YEAR = "current_year"
    CURRENT_MONTH = "current_month"
    CURRENT = "current"  # the state today (a grade, a status)

    def key(self, as_of: date, months_back: int = 0) -> str:
        """A stable label of the concrete period, e.g. 'FY2025' or '2026-10'."""
        if self is Period.LAST_FISCAL_YEAR:
            return f"FY{as_of.year - 1}"
        if self is Period.CURRENT_YEAR:
            return f"Y{as_of.year}"
        if self is Period.CURRENT_MONTH:
            month_index = as_of.year * 12 + as_of.month - 1 - months_back
            return f"{month_index // 12}-{month_index % 12 + 1:02d}"
        return as_of.isoformat()


@dataclass(frozen=True)
class FactSpec:
    name: str
    department: str  # departments.Department.code
    interface: str
    wire_field: str  # the department's own field name in its payload
    type: FactType
    period: Period
    freshness: timedelta
    label_zh: str
    label_en: str
    unit: str = ""
    choices: tuple[str, ...] = ()
    # Department spellings of enum values, e.g. 存续 -> active.
    aliases: dict[str, str] = field(default_factory=dict)
    months_back: int = 0
    # Whom the fact describes: "enterprise" (CATALOGUE, asked by USCC) or "person"
    # (PERSON_CATALOGUE, asked by resident identity number: datahub.providers).
    subject: str = "enterprise"
    # Personal data (a bank account): shown masked, like every personal number.
    personal: bool = False

    @property
    def label(self) -> str:
        return self.label_zh if (get_language() or "zh").startswith("zh") else self.label_en

    def period_key(self, as_of: date) -> str:
        return self.period.key(as_of, self.months_back)

    @property
    def unit_label(self) -> str:
        return str(_UNIT_LABELS.get(self.unit, self.unit))

    @property
    def period_label(self) -> str:
        if self.period is Period.CURRENT_MONTH and self.months_back:
            return ngettext("%(n)d month ago", "%(n)d months ago", self.months_back) % {
                "n": self.months_back
            }
        return str(_PERIOD_LABELS[self.period])

    def choice_label(self, value: str) -> str:
        """An enumeration's value as the department writes it (存续, 工业用地) in Chinese,
        in words in English (active, industrial land); unknown values as they are."""
        if (get_language() or "zh").startswith("zh"):
            spelled = next((zh for zh, code in self.aliases.items() if code == value), None)
            return spelled or value
        english = _CHOICE_LABELS_EN.get(value)
        return str(english) if english is not None else value

    def display(self, value: Any) -> str:
        """A value of this fact as a person reads it: 是/否, 存续, ¥1,234.00, 41 人,
        120.5 m², 2026-01-01; the stored JSON form ("0.00", True) or the typed value."""
        if value is None:
            return gettext_now("unknown")
        if self.personal:
            return mask_digits(str(value))
        if self.type is FactType.TEXT:
            return str(value) or gettext_now("none")
        if isinstance(value, bool):
            return gettext_now("Yes") if value else gettext_now("No")
        if isinstance(value, date):
            return value.isoformat()
        if self.type is FactType.ENUM:
            return self.choice_label(str(value))
        if self.type in (FactType.MONEY, FactType.DECIMAL, FactType.INTEGER):
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                return str(value)
            if self.type is FactType.MONEY:
                return f"¥{number:,.2f}"
            text = f"{number:,}"
            return f"{text} {self.unit_label}" if self.unit else text
        return str(value)

    @property
    def freshness_label(self) -> str:
        days = int(self.freshness.total_seconds() // 86400)
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


# Enumerations in English words; in Chinese the departments' own spellings (aliases).
_CHOICE_LABELS_EN = {
    "active": _("active"),
    "revoked": _("revoked"),
    "deregistered": _("deregistered"),
    "none": _("none"),
    "industrial": _("industrial land"),
    "commercial": _("commercial land"),
    "mixed": _("mixed-use land"),
}


def display_value(name: str, value: Any) -> str:
    """A fact's value as a person reads it (FactSpec.display); unknown names as they are."""
    spec = CATALOGUE.get(name) or PERSON_CATALOGUE.get(name)
    if spec is None:
        return gettext_now("unknown") if value is None else str(value)
    return spec.display(value)


_PERIOD_LABELS = {
    Period.LAST_FISCAL_YEAR: _("last fiscal year"),
    Period.CURRENT_YEAR: _("this year"),
    Period.CURRENT_MONTH: _("this month"),
    Period.CURRENT: _("today"),
}
DAY = timedelta(days=1)
_GRADES_TAX = ("A", "B", "M", "C", "D")
_INDUSTRY_CODES = tuple(division.code for division in DIVISIONS)


def _specs() -> list[FactSpec]:
    specs = [
        # --- Taxation -----------------------------------------------------------------
        FactSpec("tax.annual_revenue", "taxation", "tax.annual_summary", "yysr",
                 FactType.MONEY, Period.LAST_FISCAL_YEAR, 30 * DAY,
                 "上年度营业收入", "Revenue, last fiscal year", unit="CNY"),
        FactSpec("tax.tax_paid", "taxation", "tax.annual_summary", "ynse",
                 FactType.MONEY, Period.LAST_FISCAL_YEAR, 30 * DAY,
                 "上年度纳税额", "Tax paid, last fiscal year", unit="CNY"),
        FactSpec("tax.credit_grade", "taxation", "tax.annual_summary", "nsxydj",
                 FactType.ENUM, Period.CURRENT, 30 * DAY,
                 "纳税信用等级", "Tax credit grade", choices=_GRADES_TAX),
        FactSpec("tax.arrears", "taxation", "tax.annual_summary", "qsje",
                 FactType.MONEY, Period.CURRENT, DAY,
                 "欠税余额", "Tax arrears outstanding", unit="CNY"),
        FactSpec("tax.last_filing_on", "taxation", "tax.annual_summary", "zhsbrq",
                 FactType.DATE, Period.CURRENT, DAY,
                 "最近申报日期", "Last tax filing date"),
        # --- Human Resources and Social Security ----------------------------------------
        FactSpec("hrss.insured_employees", "hrss", "hrss.social_insurance", "cbrs",
                 FactType.INTEGER, Period.CURRENT_MONTH, DAY,
                 "本月参保人数", "Employees insured, this month", unit="persons"),
        *[
            FactSpec(f"hrss.insured_employees_m{n}", "hrss", "hrss.social_insurance",
                     f"cbrs_{n}", FactType.INTEGER, Period.CURRENT_MONTH, 30 * DAY,
                     f"{n} 个月前参保人数", f"Employees insured, {n} month(s) ago",
                     unit="persons", months_back=n)
            for n in range(1, 13)
        ],
        FactSpec("hrss.new_hires_this_year", "hrss", "hrss.social_insurance", "xzcbrs",
                 FactType.INTEGER, Period.CURRENT_YEAR, DAY,
                 "本年新增参保人数", "New hires insured this year", unit="persons"),
        FactSpec("hrss.continuous_contribution_months", "hrss", "hrss.social_insurance",
                 "lxjfys", FactType.INTEGER, Period.CURRENT, DAY,
                 "连续缴费月数", "Months of continuous contributions", unit="months"),
        FactSpec("hrss.annual_wage_bill", "hrss", "hrss.social_insurance", "gzze",
                 FactType.MONEY, Period.LAST_FISCAL_YEAR, 30 * DAY,
                 "上年度工资总额", "Wage bill, last fiscal year", unit="CNY"),
        # --- Housing Security and Management --------------------------------------------
        FactSpec("housing.leased_floor_area", "housing", "housing.lease_registration", "zlmj",
                 FactType.DECIMAL, Period.CURRENT, 7 * DAY,
                 "租赁面积", "Leased floor area", unit="m²"),
        FactSpec("housing.monthly_rent", "housing", "housing.lease_registration", "yzj",
                 FactType.MONEY, Period.CURRENT, 7 * DAY,
                 "月租金", "Monthly rent", unit="CNY"),
        FactSpec("housing.lease_registered", "housing", "housing.lease_registration", "sfba",
                 FactType.BOOLEAN, Period.CURRENT, 7 * DAY,
                 "租赁合同已备案", "Lease registered"),
        FactSpec("housing.lease_expires_on", "housing", "housing.lease_registration", "zldqr",
                 FactType.DATE, Period.CURRENT, 7 * DAY,
                 "租赁到期日", "Lease expires on"),
        # --- Market Supervision ---------------------------------------------------------
        FactSpec("market.registration_status", "market", "market.registration", "djzt",
                 FactType.ENUM, Period.CURRENT, DAY,
                 "登记状态", "Registration status",
                 choices=("active", "revoked", "deregistered"),
                 aliases={"存续": "active", "在业": "active", "吊销": "revoked",
                          "注销": "deregistered"}),
        FactSpec("market.established_on", "market", "market.registration", "clrq",
                 FactType.DATE, Period.CURRENT, 30 * DAY,
                 "成立日期", "Established on"),
        FactSpec("market.industry_code", "market", "market.registration", "hydm",
                 FactType.ENUM, Period.CURRENT, 30 * DAY,
                 "行业代码（大类）", "Industry division (GB/T 4754)", choices=_INDUSTRY_CODES),
        FactSpec("market.registered_capital", "market", "market.registration", "zczb",
                 FactType.MONEY, Period.CURRENT, 30 * DAY,
                 "注册资本", "Registered capital", unit="CNY"),
        FactSpec("market.abnormal_operations", "market", "market.registration", "jyyc",
                 FactType.BOOLEAN, Period.CURRENT, DAY,
                 "列入经营异常名录", "On the list of abnormal operations"),
        # --- Natural Resources and Planning ---------------------------------------------
        FactSpec("planning.land_parcels", "planning", "planning.land", "zdsl",
                 FactType.INTEGER, Period.CURRENT, 30 * DAY,
                 "持有宗地数", "Land parcels held", unit="parcels"),
        FactSpec("planning.land_use_type", "planning", "planning.land", "tdyt",
                 FactType.ENUM, Period.CURRENT, 30 * DAY,
                 "主要土地用途", "Main land use",
                 choices=("none", "industrial", "commercial", "mixed"),
                 aliases={"无": "none", "工业用地": "industrial", "商服用地": "commercial",
                          "综合用地": "mixed"}),
        # --- Credit (declared here; the credit capability provides them) -----------------
        FactSpec("credit.grade", "ndrc", "credit.public_credit", "xydj",
                 FactType.ENUM, Period.CURRENT, DAY,
                 "公共信用等级", "Public credit grade", choices=("A", "B", "C", "D")),
        FactSpec("credit.red_list", "ndrc", "credit.public_credit", "hmd",
                 FactType.BOOLEAN, Period.CURRENT, DAY,
                 "列入守信红名单", "On the red list (trustworthy)"),
        FactSpec("credit.black_list", "ndrc", "credit.public_credit", "hmd_sx",
                 FactType.BOOLEAN, Period.CURRENT, DAY,
                 "列入失信黑名单", "On the black list (untrustworthy)"),
    ]  # fmt: skip
    return specs


CATALOGUE: dict[str, FactSpec] = {spec.name: spec for spec in _specs()}

_TALENT_LEVELS = ("none", "A", "B", "C", "D", "E")


def _person_specs() -> list[FactSpec]:
    """Facts about a private person (issue #26), asked by resident identity number: the
    minimum a policy for employees needs (PIPL), each from the department that holds it."""
    person = {"subject": "person"}
    return [
        # --- Human Resources and Social Security: the person's social insurance ----------
        FactSpec("person.hrss.insured", "hrss", "hrss.person_insurance", "sfcb",
                 FactType.BOOLEAN, Period.CURRENT, DAY,
                 "正在参加社会保险", "Socially insured now", **person),
        FactSpec("person.hrss.employer_uscc", "hrss", "hrss.person_insurance", "cbdwdm",
                 FactType.TEXT, Period.CURRENT, DAY,
                 "参保单位统一社会信用代码", "Insured by (enterprise's USCC)", **person),
        FactSpec("person.hrss.insured_since", "hrss", "hrss.person_insurance", "cbrq",
                 FactType.DATE, Period.CURRENT, DAY,
                 "在本单位参保起始日期", "Insured by this employer since", **person),
        FactSpec("person.hrss.months_paid", "hrss", "hrss.person_insurance", "jfys",
                 FactType.INTEGER, Period.CURRENT, DAY,
                 "在本单位累计缴费月数", "Months paid with this employer", unit="months",
                 **person),
        # The age in whole years on the day asked, from the birth date in the identity
        # number (the department's register of insured persons holds it for everyone).
        FactSpec("person.hrss.age", "hrss", "hrss.person_insurance", "nl",
                 FactType.INTEGER, Period.CURRENT, DAY,
                 "年龄（周岁）", "Age (years)", unit="years", **person),
        # --- HRSS: the talent catalogue ----------------------------------------------------
        FactSpec("person.talent.level", "hrss", "hrss.talent_catalogue", "rcdj",
                 FactType.ENUM, Period.CURRENT, 30 * DAY,
                 "人才分类目录等级", "Talent catalogue level", choices=_TALENT_LEVELS,
                 aliases={"无": "none", "A类": "A", "B类": "B", "C类": "C", "D类": "D",
                          "E类": "E"}, **person),
        # --- HRSS: the bank account held with the social security card ---------------------
        FactSpec("person.bank.account", "hrss", "hrss.social_security_card", "yhzh",
                 FactType.TEXT, Period.CURRENT, DAY,
                 "社保卡金融账户", "Bank account of the social security card",
                 personal=True, **person),
        FactSpec("person.bank.name", "hrss", "hrss.social_security_card", "khyh",
                 FactType.TEXT, Period.CURRENT, DAY,
                 "社保卡开户银行", "Bank of the social security card", **person),
        # --- Housing Security and Management ---------------------------------------------
        FactSpec("person.housing.owns_home", "housing", "housing.person_property", "yzf",
                 FactType.BOOLEAN, Period.CURRENT, 7 * DAY,
                 "在本市拥有住房", "Owns a home in the city", **person),
        FactSpec("person.housing.provident_fund", "housing", "housing.person_property", "jcgjj",
                 FactType.BOOLEAN, Period.CURRENT, 7 * DAY,
                 "正在缴存住房公积金", "Pays into the housing provident fund", **person),
        FactSpec("person.housing.provident_fund_monthly", "housing", "housing.person_property",
                 "gjjyjce", FactType.MONEY, Period.CURRENT, 7 * DAY,
                 "住房公积金月缴存额", "Housing provident fund, monthly", unit="CNY", **person),
    ]  # fmt: skip


# Kept apart from CATALOGUE, which every enterprise reader iterates (the policy editor, the
# bulk extracts, disputes): a person's fact is never asked of an enterprise.
PERSON_CATALOGUE: dict[str, FactSpec] = {spec.name: spec for spec in _person_specs()}


def person_interfaces() -> dict[str, list[FactSpec]]:
    """The person interfaces of the departments and the facts each serves."""
    registry: dict[str, list[FactSpec]] = {}
    for spec in PERSON_CATALOGUE.values():
        registry.setdefault(spec.interface, []).append(spec)
    return registry


def person_specs_for(names: list[str]) -> list[FactSpec]:
    unknown = [name for name in names if name not in PERSON_CATALOGUE]
    if unknown:
        raise UnknownFactError(unknown)
    return [PERSON_CATALOGUE[name] for name in dict.fromkeys(names)]


def interfaces() -> dict[str, list[FactSpec]]:
    """The interface registry: each department interface and the facts (fields) it serves."""
    registry: dict[str, list[FactSpec]] = {}
    for spec in CATALOGUE.values():
        registry.setdefault(spec.interface, []).append(spec)
    return registry


class UnknownFactError(ValueError):
    """A caller named a fact the catalogue does not declare: a programming error."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__(f"unknown fact names: {', '.join(names)}")


def specs_for(names: list[str]) -> list[FactSpec]:
    unknown = [name for name in names if name not in CATALOGUE]
    if unknown:
        raise UnknownFactError(unknown)
    return [CATALOGUE[name] for name in dict.fromkeys(names)]
