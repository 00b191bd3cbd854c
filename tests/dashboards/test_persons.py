# ruff: noqa: F811 - the fixtures imported from tests.persons.test_pay are named as parameters
"""Persons paid on the dashboards (issue #26): counted and summed by the employer's
district, industry and size, never named; an employer is not "served" by its employees'
payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dashboards.refresh import refresh_all
from dashboards.scope import Filters, Scope
from dashboards.selectors.board import Board
from dashboards.selectors.funds import funds_kpis, persons_paid_by
from policies.models import DeliveryMode
from tests.persons.test_pay import person_version, staff, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def test_persons_paid_by_district_industry_and_size_never_by_name(staff):
    person_version(DeliveryMode.AUTOMATIC)
    refresh_all()
    board = Board(Filters(), Scope(), date.today())
    first, second = staff.first, staff.second
    by_district = persons_paid_by(board, "district")
    rows = {row[0]: row[1:] for row in by_district.rows}
    expected: dict[str, list] = {}
    for enterprise, persons in ((first, 3), (second, 1)):
        got = expected.setdefault(enterprise.district.name, [0, Decimal("0.00")])
        got[0] += persons
        got[1] += Decimal("800.00") * persons
    assert {name: [n, amount] for name, (n, amount) in rows.items()} == expected
    by_size = {row[0]: row[1] for row in persons_paid_by(board, "size").rows}
    assert sum(by_size.values()) == 4
    assert sum(row[1] for row in persons_paid_by(board, "industry").rows) == 4
    text = repr([persons_paid_by(board, d).rows for d in ("district", "industry", "size")])
    for name, (person, number) in staff.people.items():
        assert name not in text and number not in text and person.id_masked not in text
    served = {kpi.key: kpi.value for kpi in funds_kpis(board).kpis}["served"]
    assert served == 0  # only persons were paid: no enterprise was served
