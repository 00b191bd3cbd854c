"""Rebuilding the tallies while the city is in the middle of things (the small city is in
conftest.py)."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client

from approvals.models import Application, Item, ItemType, ServicePackage
from dashboards.refresh import refresh_all
from dashboards.scope import Filters, Scope
from dashboards.selectors.approvals import approvals_kpis
from dashboards.selectors.board import Board
from tests.factories import AuditorFactory, UserFactory, district

from .conftest import at

TODAY = date(2026, 11, 20)


def pending_establishment(reference: str = "KB-1", hours_taken: float | None = None) -> Item:
    """An enterprise being opened in Binjiang: the application has no enterprise yet (it
    gets one when the licence is issued), so its item has no industry section to count."""
    package = ServicePackage.objects.get(code="enterprise-establishment")
    item_type = ItemType.objects.filter(package=package).order_by("pk").first()
    start = at(date(2026, 11, 4), 9)
    application = Application.objects.create(
        package=package, reference=reference, enterprise=None, applicant=UserFactory(),
        district=district("binjiang"), industry_division="65", status="in_review",
        submitted_at=start,
    )  # fmt: skip
    decided = start + timedelta(hours=hours_taken) if hours_taken is not None else None
    return Item.objects.create(
        application=application, item_type=item_type, department=item_type.department,
        district=None, status="approved" if decided else "pending", started_at=start,
        limit_amount=4, limit_unit="hours", decided_at=decided,
        deadline=None if decided else start + timedelta(hours=4),
    )  # fmt: skip


def kpis(figure) -> dict:
    return {kpi.key: kpi.value for kpi in figure.kpis}


def in_progress(**filters) -> int:
    return kpis(approvals_kpis(Board(Filters(**filters), Scope(), TODAY)))["in_progress"]


def test_a_pending_establishment_application_does_not_break_the_refresh(small_city):
    """Issue #18: `null value in column "industry" of relation "dashboards_tally"`."""
    pending_establishment()
    pending_establishment("KB-2", hours_taken=2)  # approved: counted in the working hours
    assert refresh_all() is not None
    # The small city has one item in progress (Planning, Binjiang); now two.
    assert in_progress() == 2
    assert in_progress(district_id=district("binjiang").pk) == 2
    # Counted under no industry: not under manufacturing, under "not yet registered".
    assert in_progress(industry="C") == 1
    assert in_progress(industry="-") == 1


def test_the_not_yet_registered_industry_is_offered_in_plain_words(small_city):
    pending_establishment()
    refresh_all()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(AuditorFactory())
    page = client.get("/dashboards/approvals/?industry=-")
    assert page.status_code == 200
    assert "No industry yet (enterprise not yet registered)" in page.content.decode()
    api = client.get("/api/v1/stats/figures/approvals_kpis/?industry=-")
    assert api.status_code == 200
    values = {kpi["key"]: kpi["value"] for kpi in api.json()["figure"]["kpis"]}
    assert values["in_progress"] == 1


@pytest.mark.postgres
def test_the_refresh_with_a_pending_establishment_on_postgresql(small_city):
    """The reported failure was PostgreSQL's (COPY and INSERT … SELECT both refuse NULL)."""
    assert connection.vendor == "postgresql"
    pending_establishment()
    pending_establishment("KB-2", hours_taken=2)
    assert refresh_all() is not None
    assert in_progress() == 2
    assert in_progress(industry="-") == 1
