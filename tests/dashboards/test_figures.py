"""Every figure against the small city worked out by hand (see conftest.py)."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from credit.grades.scoring import grade_for
from credit.grades.selectors import scoring_model_in_force
from dashboards.refresh import refresh_all
from dashboards.scope import Filters, Period, Scope
from dashboards.selectors.approvals import (
    approval_hours_by_item_type,
    approvals_kpis,
    items_by_department,
    items_by_month,
    items_by_state,
)
from dashboards.selectors.board import Board
from dashboards.selectors.credit import (
    commitments_by_state,
    credit_kpis,
    grade_distribution,
    inspections_by_department,
)
from dashboards.selectors.department_data import calls_by_department, calls_by_month, data_kpis
from dashboards.selectors.funds import (
    budget_by_policy,
    claims_by_state,
    funds_by,
    funds_by_month,
    funds_kpis,
)
from dashboards.selectors.pages import SECTIONS
from dashboards.selectors.requests import requests_by, requests_by_month, requests_kpis
from tests.factories import (
    AuditorFactory,
    EnterpriseFactory,
    OfficialFactory,
    department,
    district,
    member_of,
)

TODAY = date(2026, 11, 20)


def close_to(value: float | None, expected: float) -> bool:
    """Percentiles are read from 10 %-wide bands: within 10 % of the exact value."""
    return value is not None and abs(value - expected) <= 0.1 * expected


@pytest.fixture
def board(small_city):
    refresh_all()

    def make(scope: Scope | None = None, **filters) -> Board:
        return Board(Filters(**filters), scope or Scope(), TODAY)

    return make


def kpis(figure) -> dict:
    return {kpi.key: kpi.value for kpi in figure.kpis}


def table(figure) -> dict:
    return {row[0]: row[1:] for row in figure.rows}


def test_funds_headlines(board):
    funds = kpis(funds_kpis(board()))
    assert funds["disbursed"] == Decimal("3950.50")
    assert funds["disbursed_this_month"] == Decimal("2950.50")
    assert funds["payments"] == 5
    assert funds["served"] == 3  # E1 was paid twice: one enterprise
    # 2, 3, 4, 10 and 60 seconds from claim to cash
    assert close_to(funds["claim_to_cash_p50"], 4000)
    assert close_to(funds["claim_to_cash_p95"], 60000)


def test_funds_by_month_policy_department_and_district(board, small_city):
    b = board()
    by_month = funds_by_month(b)
    assert [row[:3] for row in by_month.rows] == [
        [date(2026, 10, 1), Decimal("1000.00"), 1],
        [date(2026, 11, 1), Decimal("2950.50"), 4],
    ]
    assert table(funds_by(b, "policy")) == {
        "p1-jobs": [Decimal("3000.00"), 2],
        "p2-tax": [Decimal("950.50"), 3],
    }
    by_department = table(funds_by(b, "department"))
    assert by_department[department("hrss").name] == [Decimal("3000.00"), 2]
    assert by_department[department("taxation").name] == [Decimal("950.50"), 3]
    by_district = table(funds_by(b, "district"))
    assert by_district[district("xihu").name] == [Decimal("3450.00"), 4]
    assert by_district[district("binjiang").name] == [Decimal("500.50"), 1]


def test_claims_by_state_and_budgets(board):
    b = board()
    assert table(claims_by_state(b)) == {
        "Paid": [5],
        "Not eligible": [1],
        "Waiting for department data": [1],
    }
    budgets = table(budget_by_policy(b))
    assert budgets["p1-jobs"][:3] == [Decimal("10000.00"), Decimal("4000.00"), Decimal("3000.00")]
    assert budgets["p1-jobs"][3] == pytest.approx(0.3)
    assert budgets["p2-tax"][2] == Decimal("950.50")


@pytest.mark.parametrize(
    ("filters", "disbursed", "served"),
    [
        ({"district": "binjiang"}, "500.50", 1),
        ({"policy": "p1-jobs"}, "3000.00", 2),
        ({"period": "2026-10"}, "1000.00", 1),
        ({"period": "2026"}, "3950.50", 3),
        ({"period": "2025"}, "0.00", 0),
        ({"industry": "C"}, "2650.50", 2),
        ({"department": "taxation"}, "950.50", 3),
        ({"department": "taxation", "district": "xihu"}, "450.00", 2),
        ({"policy": "p2-tax", "period": "2026-11", "industry": "C"}, "650.50", 2),
    ],
)
def test_every_filter_narrows_funds(board, small_city, filters, disbursed, served):
    chosen = {}
    if "district" in filters:
        chosen["district_id"] = district(filters["district"]).pk
    if "department" in filters:
        chosen["department_id"] = department(filters["department"]).pk
    if "policy" in filters:
        chosen["policy_id"] = small_city["p1" if filters["policy"] == "p1-jobs" else "p2"].pk
    if "period" in filters:
        chosen["period"] = Period.parse(filters["period"])
    if "industry" in filters:
        chosen["industry"] = filters["industry"]
    funds = kpis(funds_kpis(board(**chosen)))
    assert funds["disbursed"] == Decimal(disbursed)
    assert funds["served"] == served


def test_approvals(board, small_city):
    b = board()
    approvals = kpis(approvals_kpis(b))
    assert approvals["in_progress"] == 1
    assert approvals["approved"] == 4  # three approved, one on commitment
    assert approvals["overdue"] == 1
    assert approvals["on_commitment"] == pytest.approx(0.25)
    assert close_to(approvals["median_hours"], 2.0)  # 1, 2, 2 and 3 working hours
    by_type = table(approval_hours_by_item_type(b))
    planning = by_type[small_city["filing"].name]
    assert planning[0] == 4
    assert close_to(planning[1], 2.0)
    assert planning[3] == 4.0  # the item type's limit: 4 working hours
    states = table(items_by_state(b))
    assert states["Rejected"] == [1] and states["Approved"] == [3]
    binjiang = kpis(approvals_kpis(board(district_id=district("binjiang").pk)))
    assert (binjiang["approved"], binjiang["in_progress"], binjiang["overdue"]) == (0, 1, 1)


def test_requests(board):
    b = board()
    requests = kpis(requests_kpis(b))
    assert requests["raised"] == 3
    assert requests["answered_on_time"] == pytest.approx(0.5)  # 2 h on time, 10 h late
    assert requests["overdue"] == 1
    assert close_to(requests["median_hours"], 2.0)
    assert requests["satisfaction"] == pytest.approx(0.5)
    by_district = table(requests_by(b, "district"))
    assert by_district[district("xihu").name][:4] == [2, 1, 1, 0]
    assert by_district[district("binjiang").name][:4] == [1, 0, 0, 1]


def test_data_calls(board):
    b = board()
    data = kpis(data_kpis(b))
    assert data["calls"] == 5
    assert data["error_rate"] == pytest.approx(0.2)
    assert close_to(data["p95_ms"], 3000)
    taxation = table(calls_by_department(b))[department("taxation").name]
    assert taxation[:3] == [4, 1, pytest.approx(0.25)]
    assert close_to(taxation[3], 20)


def test_credit(board):
    b = board()
    credit = kpis(credit_kpis(b))
    assert (credit["commitments_made"], credit["commitments_fulfilled"]) == (3, 1)
    assert credit["commitments_breached"] == 1
    # three drawn; two results in, one of them within the 20-day limit
    assert (credit["inspections_drawn"], credit["inspections_done"]) == (3, 2)
    assert credit["published_on_time"] == pytest.approx(0.5)
    by_department = table(inspections_by_department(b))
    # drawn, on time, late, outstanding, overdue
    assert by_department[department("market").name] == [3, 1, 1, 0, 1]
    xihu = kpis(credit_kpis(board(district_id=district("xihu").pk)))
    assert (xihu["inspections_drawn"], xihu["inspections_done"]) == (2, 2)
    grades = table(grade_distribution(b))
    assert grades["A"][0] == 1 and grades["B"][0] == 2 and grades["C"][0] == 0
    manufacturing = table(grade_distribution(board(industry="C")))
    assert manufacturing["A"][0] == 0 and manufacturing["B"] == [2, 1.0]


def test_a_figure_says_which_filters_it_cannot_apply(board, small_city):
    b = board(policy_id=small_city["p1"].pk, period=Period.parse("2026"))
    assert approvals_kpis(b).ignores == ("policy",)
    assert grade_distribution(b).ignores == ("period", "policy")
    assert funds_kpis(b).ignores == ()


# --- Scope ----------------------------------------------------------------------------------


def disbursed_seen_by(user) -> tuple[str, str]:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    response = client.get("/api/v1/stats/figures/funds_kpis/")
    assert response.status_code == 200, response.content
    values = {kpi["key"]: kpi["value"] for kpi in response.json()["figure"]["kpis"]}
    return values["disbursed"], values["served"]


@pytest.mark.parametrize(
    ("who", "disbursed", "served"),
    [
        ({"role": "auditor"}, "3950.50", 3),
        ({"department": "hrss", "district": None}, "3000.00", 2),
        ({"department": "taxation", "district": "xihu"}, "450.00", 2),
        ({"department": "general_office", "district": "binjiang"}, "500.50", 1),
        ({"department": "general_office", "district": None}, "3950.50", 3),
        ({"department": "data", "district": None}, "3950.50", 3),
    ],
)
def test_each_official_sees_their_scope(board, who, disbursed, served):
    if who.get("role") == "auditor":
        user = AuditorFactory()
    else:
        user = OfficialFactory(
            department=department(who["department"]),
            district=district(who["district"]) if who["district"] else None,
        )
    assert disbursed_seen_by(user) == (disbursed, served)


def headline(client, key: str) -> dict:
    response = client.get(f"/api/v1/stats/figures/{key}/")
    assert response.status_code == 200, response.content
    return {kpi["key"]: kpi["value"] for kpi in response.json()["figure"]["kpis"]}


def test_every_section_keeps_to_the_officials_department_and_district(board, small_city):
    """The same city through four pairs of eyes, section by section."""
    seen = {}
    for name, dept, place in (
        ("ndrc", "ndrc", None),
        ("planning", "planning", None),
        ("market", "market", None),
        ("taxation", "taxation", None),
        ("binjiang", "general_office", "binjiang"),
        ("city", "general_office", None),
    ):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        official = OfficialFactory(
            department=department(dept), district=district(place) if place else None
        )
        client.force_login(official)
        seen[name] = {key: headline(client, key) for key in
                      ("approvals_kpis", "credit_kpis", "requests_kpis", "data_kpis")}  # fmt: skip
    ndrc, planning = seen["ndrc"]["approvals_kpis"], seen["planning"]["approvals_kpis"]
    assert (ndrc["approved"], ndrc["in_progress"], ndrc["overdue"]) == (4, 0, 0)
    assert (planning["approved"], planning["in_progress"], planning["overdue"]) == (0, 1, 1)
    assert seen["market"]["approvals_kpis"]["approved"] == 0
    assert seen["market"]["credit_kpis"]["commitments_made"] == 3  # all three are Market's
    assert seen["taxation"]["credit_kpis"]["commitments_made"] == 0
    assert seen["market"]["credit_kpis"]["inspections_drawn"] == 3  # Market's campaign
    assert seen["taxation"]["credit_kpis"]["inspections_drawn"] == 0
    assert seen["binjiang"]["credit_kpis"]["inspections_drawn"] == 1
    assert seen["taxation"]["requests_kpis"]["raised"] == 3  # all three went to Taxation
    assert seen["market"]["requests_kpis"]["raised"] == 0
    assert seen["taxation"]["data_kpis"]["calls"] == 4
    assert seen["market"]["data_kpis"]["calls"] == 1
    # Binjiang: E3 only — its rejected and pending items, its open request, its two calls
    assert seen["binjiang"]["approvals_kpis"]["approved"] == 0
    assert seen["binjiang"]["approvals_kpis"]["in_progress"] == 1
    assert seen["binjiang"]["requests_kpis"]["raised"] == 1
    assert seen["binjiang"]["data_kpis"]["calls"] == 2
    assert seen["binjiang"]["credit_kpis"]["commitments_made"] == 1
    assert seen["city"]["requests_kpis"]["raised"] == 3
    assert seen["city"]["data_kpis"]["calls"] == 5


def test_grades_follow_the_district_not_the_department(board):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(OfficialFactory(department=department("hrss"), district=district("xihu")))
    rows = client.get("/api/v1/stats/figures/grade_distribution/").json()["figure"]["rows"]
    assert {grade: count for grade, count, _share in rows} == {"A": 1, "B": 1, "C": 0, "D": 0}


def test_a_district_official_cannot_ask_for_another_district(board):
    official = OfficialFactory(
        department=department("general_office"), district=district("binjiang")
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(official)
    response = client.get("/api/v1/stats/overview/?district=xihu")
    assert response.status_code == 400
    assert "district" in response.json()["fields"]
    page = client.get("/dashboards/?district=xihu")
    assert page.status_code == 400
    assert "Select a valid choice" in page.content.decode()


def test_enterprise_members_and_strangers_get_no_dashboards(board, small_city):
    member = member_of(small_city["e1"])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.get("/api/v1/stats/overview/").status_code in (401, 403)
    assert client.get("/dashboards/").status_code == 302  # to the login page
    client.force_login(member)
    assert client.get("/api/v1/stats/overview/").status_code == 403
    assert client.get("/dashboards/").status_code == 403
    assert client.get("/dashboards/figures/funds_kpis.csv").status_code == 403


# --- Pages, exports, API --------------------------------------------------------------------


def test_the_export_holds_exactly_the_rows_shown(board, small_city):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(OfficialFactory(department=department("taxation"), district=None))
    response = client.get("/dashboards/figures/funds_by_district.csv?period=2026-11")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["District", "Disbursed (yuan)", "Payments"]
    assert sorted(rows[1:]) == sorted(
        [[district("xihu").name, "450.00", "2"], [district("binjiang").name, "500.50", "1"]]
    )
    workbook = client.get("/dashboards/figures/funds_by_district.xlsx?period=2026-11")
    assert workbook.status_code == 200
    assert workbook["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get("/dashboards/figures/nothing.csv").status_code == 404


def test_every_page_and_section_answers_with_its_figures(board):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(AuditorFactory())
    overview = client.get("/dashboards/")
    assert overview.status_code == 200
    assert "3,950.50" in overview.content.decode()
    for key in SECTIONS:
        page = client.get(f"/dashboards/{key}/?period=2026&industry=C")
        assert page.status_code == 200, key
        api = client.get(f"/api/v1/stats/{key}/?period=2026&industry=C")
        assert api.status_code == 200
        shown = [figure["key"] for figure in api.json()["sections"][0]["figures"]]
        assert shown == SECTIONS[key][1]
    assert client.get("/dashboards/nothing/").status_code == 404
    assert client.get("/api/v1/stats/nothing/").status_code == 404


def test_the_api_gives_money_exactly_and_says_how_fresh(board):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(AuditorFactory())
    payload = client.get("/api/v1/stats/figures/funds_by_policy/?period=2026").json()
    assert payload["refreshed_at"]
    assert payload["filters"]["period"] == "2026"
    assert payload["figure"]["rows"] == [["p1-jobs", "3000.00", 2], ["p2-tax", "950.50", 3]]


def test_a_refresh_replaces_the_figures(board, small_city):
    from subsidies.models import Disbursement

    before = kpis(funds_kpis(board()))["disbursed"]
    Disbursement.objects.filter(amount=Decimal("150.00")).update(status="failed")
    assert kpis(funds_kpis(board()))["disbursed"] == before  # not yet refreshed
    refresh_all()
    assert kpis(funds_kpis(board()))["disbursed"] == before - Decimal("150.00")


def test_the_monthly_series_and_breakdowns(board, small_city):
    b = board()
    assert items_by_month(b).rows == [[date(2026, 11, 1), 6, 4]]
    assert requests_by_month(b).rows == [[date(2026, 11, 1), 3, 1]]
    assert calls_by_month(b).rows == [[date(2026, 11, 1), 5, 1]]
    assert table(commitments_by_state(b)) == {
        "Made": [1],
        "Fulfilled": [1],
        "Breached": [1],
    }
    by_department = table(items_by_department(b))
    # department: in progress, approved, rejected, overdue
    assert by_department[department("ndrc").name] == [0, 4, 1, 0]
    assert by_department[department("planning").name] == [1, 0, 0, 1]
    taxation = table(requests_by(b, "department"))[department("taxation").name]
    assert taxation[:4] == [3, 1, 1, 1]
    assert close_to(taxation[4], 2.0) and taxation[5] == pytest.approx(0.5)


def test_a_page_is_remembered_until_the_next_rebuild(
    board, small_city, django_assert_max_num_queries
):
    from subsidies.models import Disbursement

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(AuditorFactory())
    assert "3,950.50" in client.get("/dashboards/funds/").content.decode()
    with django_assert_max_num_queries(12):  # session, user, form choices: no tallies
        assert "3,950.50" in client.get("/dashboards/funds/").content.decode()
    Disbursement.objects.filter(amount=Decimal("150.00")).update(status="failed")
    refresh_all()
    assert "3,800.50" in client.get("/dashboards/funds/").content.decode()


def test_grades_count_every_enterprise_with_its_current_grade(small_city):
    """An enterprise never graded (no records, no grade row) holds the base grade of the
    model in force: the chart counts it there, as the draws and the hub do."""
    model = scoring_model_in_force()
    base = grade_for(model.base_score, model.thresholds)
    for _ in range(4):
        EnterpriseFactory(district=district("xihu"), industry_section="C")
    refresh_all()
    expected = {"A": 1, "B": 2, "C": 0, "D": 0}
    expected[base] += 4
    grades = table(grade_distribution(Board(Filters(), Scope(), TODAY)))
    assert {grade: row[0] for grade, row in grades.items()} == expected
    xihu = table(grade_distribution(Board(Filters(district_id=district("xihu").pk), Scope(),
                                          TODAY)))  # fmt: skip
    assert sum(row[0] for row in xihu.values()) == 2 + 4  # e1, e2 and the four
