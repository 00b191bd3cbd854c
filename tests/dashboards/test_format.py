"""How dashboard values read on the page (dashboards/templatetags/dashboard_format.py), and
the page around them: tabs, filters, freshness, notes and the export links."""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import translation

from dashboards.figures import Column, Figure
from dashboards.templatetags.dashboard_format import as_kind, filter_names, table_body
from tests.factories import OfficialFactory, department


@pytest.mark.parametrize(
    ("value", "kind", "english", "chinese"),
    [
        (Decimal("1234567.89"), "money", "¥1,234,567.89", "¥1,234,567.89"),
        ("1234567.8", "money", "¥1,234,567.80", "¥1,234,567.80"),
        (0.1234, "share", "12.3%", "12.3%"),
        (1, "share", "100.0%", "100.0%"),
        (3.21, "hours", "3.2 h", "3.2 小时"),
        (850.4, "ms", "850 ms", "850 毫秒"),
        (1234, "ms", "1.2 s", "1.2 秒"),
        (204_000, "ms", "3.4 min", "3.4 分钟"),
        (7_560_000, "ms", "2.1 h", "2.1 小时"),
        (129_600_000, "ms", "1.5 d", "1.5 天"),
        (90, "seconds", "1.5 min", "1.5 分钟"),
        (date(2026, 11, 1), "month", "2026-11", "2026-11"),
        (1234567, "int", "1,234,567", "1,234,567"),
        ("西湖区", "text", "西湖区", "西湖区"),
        (None, "money", "—", "—"),
        (None, "share", "—", "—"),
        (None, "int", "—", "—"),
    ],
)
def test_a_value_reads_by_its_kind_in_both_languages(value, kind, english, chinese):
    with translation.override("en"):
        assert as_kind(value, kind) == english
    with translation.override("zh-hans"):
        assert as_kind(value, kind) == chinese


def test_table_cells_are_formatted_labelled_aligned_and_escaped():
    figure = Figure(
        key="f",
        title="t",
        chart="bar",
        columns=[Column("district", "District"), Column("amount", "Paid", "money")],
        rows=[["Xihu", Decimal("5000")], ["<b>Binjiang</b>", None]],
    )
    body = str(table_body(figure)).splitlines()
    assert body == [
        '<tr><th scope="row" data-label="District">Xihu</th>'
        '<td data-label="Paid" class="num">¥5,000.00</td></tr>',
        '<tr><th scope="row" data-label="District">&lt;b&gt;Binjiang&lt;/b&gt;</th>'
        '<td data-label="Paid" class="num">—</td></tr>',
    ]


def test_the_filters_a_figure_ignores_are_named_in_the_page_language():
    with translation.override("en"):
        assert filter_names(("policy", "industry")) == "Policy, Industry"
    with translation.override("zh-hans"):
        assert "、" in filter_names(("policy", "industry"))


@pytest.fixture
def city_client(client, reference_data):
    official = OfficialFactory(department=department(settings.DASHBOARD_CITY_DEPARTMENTS[0]))
    client.force_login(official)
    client.cookies["django_language"] = "en"
    return client


@pytest.mark.django_db
def test_before_the_first_refresh_the_page_says_so(city_client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # with workers, beat makes the first rebuild
    page = city_client.get("/dashboards/").content.decode()
    assert "The figures have not been computed yet" in page
    assert 'aria-current="page">Overview</a>' in page


@pytest.mark.django_db
def test_without_workers_the_page_rebuilds_stale_figures_itself(city_client, settings):
    """The embedded mode has no beat: a page finding no figures, or stale ones, rebuilds
    them first (the demo's tables take well under a second)."""
    from dashboards.models import Refresh

    settings.CELERY_TASK_ALWAYS_EAGER = True
    page = city_client.get("/dashboards/").content.decode()
    assert "The figures have not been computed yet" not in page
    assert Refresh.objects.count() == 1
    city_client.get("/dashboards/funds/")
    assert Refresh.objects.count() == 1  # fresh enough: not rebuilt again


@pytest.mark.django_db
def test_a_refreshed_section_keeps_its_filters_in_tabs_and_downloads(city_client):
    from dashboards.refresh import refresh_all

    refresh_all()
    response = city_client.get("/dashboards/approvals/?policy=&period=2026")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Figures as of " in page and f"every {settings.DASHBOARD_REFRESH_MINUTES} min" in page
    assert 'href="/dashboards/approvals/?policy=&amp;period=2026" aria-current="page"' in page
    assert 'href="/dashboards/figures/items_by_state.csv?policy=&amp;period=2026"' in page
    assert 'href="/dashboards/figures/items_by_state.xlsx?policy=&amp;period=2026"' in page


@pytest.mark.django_db
def test_wrong_filters_are_a_400_with_the_error_shown(city_client):
    response = city_client.get("/dashboards/?period=2026-13")
    page = response.content.decode()
    assert response.status_code == 400
    assert 'class="error-summary"' in page and 'href="#id_period"' in page
    assert "No figures are shown until the filters are corrected." in page
