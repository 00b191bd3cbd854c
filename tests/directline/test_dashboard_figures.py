"""Direct-line figures on the dashboards: ratings and response times per department and
district, in the requests section, scoped like every figure (the small city of
tests/dashboards/conftest.py: three Taxation requests, two in Xihu, one in Binjiang)."""

import pytest
from django.test import Client

from dashboards.scope import Scope
from dashboards.selectors.requests import requests_by_department_and_district
from tests.dashboards.conftest import small_city  # noqa: F401 - fixture
from tests.dashboards.test_figures import board, close_to  # noqa: F401 - fixture
from tests.factories import AuditorFactory, department, district

pytestmark = pytest.mark.django_db


def test_ratings_and_response_times_per_department_and_district(board):  # noqa: F811
    figure = requests_by_department_and_district(board())
    rows = {(row[0], row[1]): row[2:] for row in figure.rows}
    taxation = department("taxation").name
    xihu = rows[(taxation, district("xihu").name)]
    raised, answered, on_time, median, rated, satisfaction, unsatisfied = xihu
    assert (raised, answered, rated, unsatisfied) == (2, 2, 2, 1)
    assert on_time == pytest.approx(0.5) and satisfaction == pytest.approx(0.5)
    assert median is not None and median > 0
    binjiang = rows[(taxation, district("binjiang").name)]
    assert binjiang[:2] == [1, 0] and binjiang[4] == 0 and binjiang[5] is None
    assert [column.key for column in figure.columns][:2] == ["department", "district"]


def test_the_figure_follows_the_viewers_scope(board):  # noqa: F811
    market = Scope(department_id=department("market").pk)
    assert requests_by_department_and_district(board(market)).rows == []


def test_the_requests_section_shows_it(board):  # noqa: F811
    client = Client()
    client.force_login(AuditorFactory())
    html = client.get("/dashboards/requests/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="figure-requests_by_department_and_district"' in html
    assert "Ratings and response times by department and district" in html
