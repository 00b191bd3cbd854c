"""Who gets which dashboards: the roles come from qinqing.scoping, so an inactive account,
an official of a deactivated department and an official moved to another district are
treated here exactly as everywhere else (the small city is in conftest.py)."""

import pytest
from django.test import Client

from dashboards.refresh import refresh_all
from dashboards.scope import Scope, scope_of
from tests.factories import AuditorFactory, OfficialFactory, department, district


@pytest.fixture
def refreshed(small_city):
    refresh_all()
    return small_city


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def disbursed(client: Client) -> tuple[str, int]:
    response = client.get("/api/v1/stats/figures/funds_kpis/")
    assert response.status_code == 200, response.content
    values = {kpi["key"]: kpi["value"] for kpi in response.json()["figure"]["kpis"]}
    return values["disbursed"], values["served"]


def assert_no_dashboards(client: Client) -> None:
    """As for any user without dashboards: the login page or a refusal, never figures."""
    assert client.get("/api/v1/stats/overview/").status_code in (401, 403)
    assert client.get("/api/v1/stats/figures/funds_kpis/").status_code in (401, 403)
    assert client.get("/dashboards/").status_code in (302, 403)
    assert client.get("/dashboards/funds/").status_code in (302, 403)
    assert client.get("/dashboards/figures/funds_kpis.csv").status_code in (302, 403)


def test_an_inactive_official_or_auditor_has_no_dashboards(refreshed):
    official = OfficialFactory(department=department("general_office"), district=None)
    auditor = AuditorFactory()
    clients = [client_for(official), client_for(auditor)]
    for user in (official, auditor):
        user.is_active = False
        user.save(update_fields=["is_active"])
        assert scope_of(user) is None
    for client in clients:
        assert_no_dashboards(client)


def test_an_official_of_a_deactivated_department_has_no_dashboards(refreshed):
    taxation = department("taxation")
    official = OfficialFactory(department=taxation, district=None)
    client = client_for(official)
    assert disbursed(client) == ("950.50", 3)
    taxation.is_active = False
    taxation.save(update_fields=["is_active"])
    official.refresh_from_db()
    assert scope_of(official) is None
    assert client.get("/api/v1/stats/figures/funds_kpis/").status_code == 403
    assert client.get("/dashboards/").status_code == 403
    assert client.get("/dashboards/figures/funds_kpis.csv").status_code == 403


def test_a_city_department_deactivated_takes_the_whole_city_away(refreshed):
    office = department("general_office")
    official = OfficialFactory(department=office, district=None)
    assert scope_of(official) == Scope()
    office.is_active = False
    office.save(update_fields=["is_active"])
    official.refresh_from_db()
    assert scope_of(official) is None


def test_an_official_moved_to_another_district_sees_the_new_district_only(refreshed):
    official = OfficialFactory(department=department("taxation"), district=district("xihu"))
    client = client_for(official)
    assert disbursed(client) == ("450.00", 2)  # E1·P2 300.00 and E2·P2 150.00, in Xihu
    official.district = district("binjiang")
    official.save(update_fields=["district"])
    # Only E3·P2 500.50 in Binjiang now; nothing of Xihu's, not even from the cache.
    assert disbursed(client) == ("500.50", 1)
    assert client.get("/api/v1/stats/overview/?district=xihu").status_code == 400
    by_district = client.get("/api/v1/stats/figures/funds_by_district/").json()["figure"]
    assert [row[0] for row in by_district["rows"]] == [district("binjiang").name]
