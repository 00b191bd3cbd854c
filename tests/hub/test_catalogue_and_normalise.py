"""Every fact is declared once with a type; whatever a department writes, a caller gets a
value of that type or a clear refusal: a string never reaches a comparison."""

from datetime import date
from decimal import Decimal

import pytest

from datahub.catalogue import CATALOGUE, FactType, UnknownFactError, specs_for
from datahub.normalise import MalformedValue, normalise
from departments.models import Department

REQUIRED = [
    "tax.annual_revenue", "tax.tax_paid", "tax.credit_grade", "tax.arrears",
    "hrss.insured_employees", *[f"hrss.insured_employees_m{n}" for n in range(1, 13)],
    "hrss.new_hires_this_year", "hrss.continuous_contribution_months", "hrss.annual_wage_bill",
    "housing.leased_floor_area", "housing.monthly_rent", "housing.lease_registered",
    "market.registration_status", "market.established_on", "market.industry_code",
    "market.registered_capital", "market.abnormal_operations",
    "planning.land_parcels", "planning.land_use_type",
    "credit.grade", "credit.red_list", "credit.black_list",
]  # fmt: skip


def test_the_catalogue_declares_every_required_fact():
    assert set(REQUIRED) <= set(CATALOGUE)


@pytest.mark.django_db
def test_every_fact_belongs_to_a_real_department_and_has_both_labels():
    departments = set(Department.objects.values_list("code", flat=True))
    for spec in CATALOGUE.values():
        assert spec.department in departments, spec.name
        assert spec.label_zh and spec.label_en, spec.name
        assert spec.freshness.total_seconds() > 0
        if spec.type is FactType.ENUM:
            assert spec.choices, spec.name


def test_unknown_names_are_refused_by_name():
    with pytest.raises(UnknownFactError) as caught:
        specs_for(["tax.annual_revenue", "tax.lucky_number", "nope"])
    assert caught.value.names == ["tax.lucky_number", "nope"]


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("tax.annual_revenue", "1,234,567.89", Decimal("1234567.89")),
        ("tax.annual_revenue", "1234567.8", Decimal("1234567.80")),
        ("tax.annual_revenue", "¥ 12,000元", Decimal("12000.00")),
        ("tax.annual_revenue", 5000, Decimal("5000.00")),
        ("tax.annual_revenue", Decimal("0.10"), Decimal("0.10")),
        ("housing.leased_floor_area", "1,234.5", Decimal("1234.5")),
        ("housing.leased_floor_area", "120.55", Decimal("120.6")),  # held to a tenth
        ("hrss.insured_employees", "  42 ", 42),
        ("hrss.insured_employees", "1,024", 1024),
        ("hrss.insured_employees", 7, 7),
        ("market.established_on", "2015-06-01", date(2015, 6, 1)),
        ("market.established_on", "20150601", date(2015, 6, 1)),
        ("market.established_on", "2015/6/1", date(2015, 6, 1)),
        ("market.established_on", "2015年6月1日", date(2015, 6, 1)),
        ("market.established_on", "2015.06.01", date(2015, 6, 1)),
        ("housing.lease_registered", "是", True),
        ("housing.lease_registered", "否", False),
        ("housing.lease_registered", "Y", True),
        ("housing.lease_registered", "n", False),
        ("housing.lease_registered", True, True),
        ("market.registration_status", "存续", "active"),
        ("market.registration_status", "注销", "deregistered"),
        ("market.registration_status", "revoked", "revoked"),
        ("tax.credit_grade", "b", "B"),
        ("planning.land_use_type", "工业用地", "industrial"),
        ("market.industry_code", "65", "65"),
    ],
)
def test_values_arrive_as_their_declared_type(name, raw, expected):
    value = normalise(CATALOGUE[name], raw)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("tax.annual_revenue", "N/A"),
        ("tax.annual_revenue", ""),
        ("tax.annual_revenue", None),
        ("tax.annual_revenue", 12.5),  # a float: precision may already be lost
        ("tax.annual_revenue", "1.005"),  # more than two places of yuan
        ("tax.annual_revenue", "NaN"),
        ("tax.annual_revenue", True),
        ("hrss.insured_employees", "4.5"),
        ("hrss.insured_employees", "#VALUE!"),
        ("market.established_on", "2015-13-01"),
        ("market.established_on", "yesterday"),
        ("housing.lease_registered", "maybe"),
        ("market.registration_status", "suspended"),
        ("tax.credit_grade", "E"),
        ("market.industry_code", "98"),
    ],
)
def test_values_that_are_not_of_the_type_are_refused(name, raw):
    with pytest.raises(MalformedValue):
        normalise(CATALOGUE[name], raw)
