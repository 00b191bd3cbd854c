"""The dashboards' recovery section: recovered and still owed, in total and by department
and district, within the viewer's scope."""

from decimal import Decimal

import pytest
from django.utils import timezone

from dashboards.scope import Filters, Scope
from dashboards.selectors.board import Board
from dashboards.selectors.recovery import recovery_by, recovery_kpis
from recovery.models import RecoveryOrder
from tests.dashboards.conftest import make_policy, paid_claim
from tests.factories import EnterpriseFactory, department, district

pytestmark = pytest.mark.django_db


def _order(policy, place: str, amount: str, recovered: str, status: str = "raised"):
    claim = paid_claim(EnterpriseFactory(district=district(place)), policy, "5000.00",
                       timezone.now(), 1)  # fmt: skip
    return RecoveryOrder.objects.create(enterprise=claim.enterprise, claim=claim, grounds="breach",
                                        reason="x", amount=Decimal(amount),
                                        recovered=Decimal(recovered), status=status)  # fmt: skip


def test_recovered_and_outstanding_by_department_and_district():
    jobs, tax = make_policy("jobs", "hrss"), make_policy("tax", "taxation")
    _order(jobs, "xihu", "1000.00", "400.00")
    _order(jobs, "binjiang", "500.00", "500.00", "settled")
    _order(tax, "xihu", "300.00", "100.00", "waived")  # owes nothing more
    city = Board(Filters(), Scope())
    figures = {kpi.key: kpi.value for kpi in recovery_kpis(city).kpis}
    assert figures == {"recovered": Decimal("1000.00"), "outstanding": Decimal("600.00"),
                       "open_orders": 1}  # fmt: skip
    by_department = {row[0]: row[1:] for row in recovery_by(city, "department").rows}
    assert by_department[department("hrss").name] == [Decimal("900.00"), Decimal("600.00")]
    assert by_department[department("taxation").name] == [Decimal("100.00"), Decimal("0.00")]
    hrss_xihu = Board(Filters(), Scope(district_id=district("xihu").pk,
                                       department_id=department("hrss").pk))  # fmt: skip
    assert {row[0]: row[1:] for row in recovery_by(hrss_xihu, "district").rows} == {
        district("xihu").name: [Decimal("400.00"), Decimal("600.00")]}  # fmt: skip
