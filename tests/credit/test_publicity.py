"""Publicity windows follow severity (minor: not public or up to 3 months; general: 3 to
12; serious: 12 to 36), records stop being public on the day their window ends, and the
public page and selector show nothing else."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from credit.records.models import add_months, publicity_window
from credit.records.selectors import public_records
from tests.factories import CreditRecordFactory

DAY = date(2026, 1, 31)


@pytest.mark.parametrize(("severity", "months", "public_until", "expires_on"), [
    ("minor", None, None, date(2026, 4, 30)),  # not public; counts three months
    ("minor", 3, date(2026, 4, 30), date(2026, 4, 30)),
    ("general", None, date(2027, 1, 31), date(2027, 1, 31)),
    ("general", 3, date(2026, 4, 30), date(2026, 4, 30)),
    ("serious", None, date(2029, 1, 31), date(2029, 1, 31)),
    ("serious", 12, date(2027, 1, 31), date(2027, 1, 31)),
])  # fmt: skip
def test_windows_by_severity(severity, months, public_until, expires_on):
    chosen, until, expiry = publicity_window(severity, DAY, months)
    assert (until, expiry) == (public_until, expires_on)
    assert chosen == (
        months if months is not None else {"minor": 0, "general": 12, "serious": 36}[severity]
    )


@pytest.mark.parametrize(("severity", "months"), [
    ("minor", 4), ("general", 2), ("general", 13), ("serious", 11), ("serious", 37),
])  # fmt: skip
def test_windows_outside_the_severity_s_range_are_refused(severity, months):
    with pytest.raises(ValidationError) as caught:
        publicity_window(severity, DAY, months)
    assert "publicity_months" in caught.value.message_dict


def test_month_arithmetic_keeps_to_the_month_s_last_day():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 14) == date(2028, 1, 30)


@pytest.mark.django_db
def test_a_record_is_public_from_its_day_until_its_window_ends(enterprise):
    record = CreditRecordFactory(enterprise=enterprise, severity="general", occurred_on=DAY,
                                 publicity_months=3, public_until=date(2026, 4, 30))  # fmt: skip
    hidden = CreditRecordFactory(enterprise=enterprise, severity="minor", occurred_on=DAY)
    assert not record.is_public_on(date(2026, 1, 30))
    assert record.is_public_on(DAY) and record.is_public_on(date(2026, 4, 29))
    assert not record.is_public_on(date(2026, 4, 30))
    assert not hidden.is_public_on(DAY)
    assert list(public_records(enterprise, date(2026, 4, 29))) == [record]
    assert list(public_records(enterprise, date(2026, 4, 30))) == []
    record.status = "repaired"
    record.save()
    assert list(public_records(enterprise, DAY)) == []
