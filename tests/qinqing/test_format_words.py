"""Facts and periods as people read them, from the one formatting place."""

from decimal import Decimal

from django.utils import translation

from datahub.catalogue import display_value
from qinqing.templatetags.qinqing_format import headcount, period_words, yes_no


def test_facts_read_as_people_read_them_in_both_languages():
    with translation.override("zh-hans"):
        assert display_value("market.abnormal_operations", False) == "否"
        assert display_value("housing.lease_registered", True) == "是"
        assert display_value("market.registration_status", "active") == "存续"
        assert display_value("market.registration_status", "deregistered") == "注销"
        assert display_value("planning.land_use_type", "industrial") == "工业用地"
        assert display_value("tax.arrears", "0.00") == "¥0.00"
        assert display_value("hrss.insured_employees", 41) == "41 人"
        assert yes_no(False) == "否"
    with translation.override("en"):
        assert display_value("market.abnormal_operations", False) == "No"
        assert display_value("market.registration_status", "deregistered") == "deregistered"
        assert display_value("tax.arrears", Decimal("1234.5")) == "¥1,234.50"
        assert display_value("hrss.insured_employees", 41) == "41 persons"
        assert display_value("housing.leased_floor_area", "120.5") == "120.5 m²"
        assert display_value("no.such_fact", None) == "unknown"
        assert headcount(41) == "41 persons"


def test_claim_periods_in_words():
    with translation.override("en"):
        assert period_words("once") == "one-off (once only)"
        assert period_words("2026") == "the year 2026"
        assert period_words("2026Q3") == "quarter 3 of 2026"
        assert period_words("2026-03") == "2026-03"
        assert period_words("odd") == "odd"
