"""The officials' call log at scale (issue #25): the filtered page lists and counts exactly
the calls it names, and its 7-day per-department figures, kept a minute in the cache,
are always the figures of the reader's own scope, never those of another department, of
another district, or of a colleague's own calls."""

import datetime as dt
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from datahub import selectors
from datahub.models import CallOutcome, DataCall
from tests.factories import AuditorFactory, EnterpriseFactory, OfficialFactory, department, district

pytestmark = pytest.mark.django_db


def call(minutes_ago: float, *, code: str = "taxation", outcome: str = CallOutcome.OK,
         latency: float = 10.0, enterprise=None, requested_by=None) -> DataCall:  # fmt: skip
    return DataCall.objects.create(
        department=department(code), interface="tax", enterprise=enterprise, fact_names=[],
        purpose="test", transport="inprocess", outcome=outcome, latency_ms=latency,
        requested_by=requested_by, started_at=timezone.now() - timedelta(minutes=minutes_ago),
    )  # fmt: skip


def figures(client, user, **params) -> dict[str, tuple]:
    """The page's 7-day figures as this user sees them: code -> (calls, failed, p50)."""
    client.force_login(user)
    response = client.get(reverse("data_calls"), params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return {row.department.code: (row.calls, row.failed, row.p50_ms)
            for row in response.context["stats"]}  # fmt: skip


def test_the_filtered_page_lists_and_counts_its_calls_and_shows_the_weeks_figures(client):
    day = 60 * 24
    timeouts = [call(minutes, outcome=CallOutcome.TIMEOUT, latency=3000.0)
                for minutes in (1, 2, 10 * day)]  # fmt: skip
    call(40 * day, outcome=CallOutcome.TIMEOUT)  # before the filter's first day
    call(3, latency=20.0)
    call(4, latency=40.0)
    call(5, outcome=CallOutcome.CACHED, latency=0.1)  # a cache hit is no call
    call(1, code="hrss", outcome=CallOutcome.TIMEOUT)  # another department's
    client.force_login(OfficialFactory(department=department("taxation"), district=None))
    since = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    response = client.get(reverse("data_calls"), {"outcome": "timeout", "since": since},
                          HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == 3 and response.context["more"] is False
    assert [c.pk for c in page.object_list] == [c.pk for c in timeouts]
    assert "3 calls" in response.content.decode()
    # The figures are the department's week, whatever the list's filter: two timeouts and
    # two answered calls (20 and 40 ms), the cache hit and the older timeout left out.
    [row] = response.context["stats"]
    assert (row.department.code, row.calls, row.failed) == ("taxation", 4, 2)
    assert (row.error_rate, row.p50_ms) == (0.5, pytest.approx(30.0))


def test_the_kept_figures_are_never_another_departments_or_districts(client):
    xihu, binjiang = (EnterpriseFactory(district=district(code)) for code in ("xihu", "binjiang"))
    for minutes in range(3):
        call(minutes, enterprise=xihu, latency=10.0)
    call(3, enterprise=binjiang, latency=50.0)
    call(4, code="hrss", enterprise=xihu, latency=70.0)
    city_tax = OfficialFactory(department=department("taxation"), district=None)
    xihu_tax = OfficialFactory(department=department("taxation"), district=district("xihu"))
    hrss = OfficialFactory(department=department("hrss"), district=None)
    # Each reads its own scope's figures, the first reader's kept in the cache or not.
    assert figures(client, city_tax) == {"taxation": (4, 0, pytest.approx(10.0))}
    assert figures(client, hrss) == {"hrss": (1, 0, pytest.approx(70.0))}
    assert figures(client, xihu_tax) == {"taxation": (3, 0, pytest.approx(10.0))}
    assert figures(client, AuditorFactory()) == {
        "taxation": (4, 0, pytest.approx(10.0)),
        "hrss": (1, 0, pytest.approx(70.0)),
    }
    # A filter on the list changes nothing in the figures, kept or not.
    assert figures(client, city_tax, department="hrss") == {"taxation": (4, 0, pytest.approx(10.0))}


def test_an_officials_own_calls_stay_out_of_a_colleagues_figures(client):
    """An official sees the calls they made to other departments (DataCall.reach `own`), and
    their figures with them; a colleague of the same department, reading after them, must
    not get those figures from the cache."""
    maker = OfficialFactory(department=department("taxation"), district=None)
    colleague = OfficialFactory(department=department("taxation"), district=None)
    call(1)
    call(2, code="market", requested_by=maker, latency=80.0)
    assert set(figures(client, maker)) == {"taxation", "market"}
    assert set(figures(client, colleague)) == {"taxation"}


def test_the_figures_are_kept_a_minute_and_then_read_again(client, monkeypatch):
    official = OfficialFactory(department=department("taxation"), district=None)
    call(1)
    assert figures(client, official)["taxation"][0] == 1
    call(2)
    # Kept: the week's figures a minute old at most, not aggregated at every click.
    assert figures(client, official)["taxation"][0] == 1
    cache.clear()  # the minute has passed
    assert figures(client, official)["taxation"][0] == 2
    monkeypatch.setattr(selectors, "STATS_SECONDS", 0)  # 0: never kept, never read
    call(3)
    assert figures(client, official)["taxation"][0] == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the index is PostgreSQL's")
def test_every_month_of_the_log_has_the_outcome_index():
    """Created on the partitioned parent by datahub 0008: each month's partition has it,
    the months created ahead later too (qinqing.partitions.create_month)."""
    from qinqing.partitions import add_months, create_month, month_start

    with connection.cursor() as cursor:
        create_month(cursor, "datahub_datacall", add_months(month_start(dt.date.today()), 9))
        cursor.execute(
            "select c.relname, exists(select 1 from pg_index x join pg_attribute a"
            " on a.attrelid = x.indrelid and a.attnum = x.indkey[1]"
            " where x.indrelid = c.oid and a.attname = 'outcome')"
            " from pg_inherits i join pg_class c on c.oid = i.inhrelid"
            " where i.inhparent = 'datahub_datacall'::regclass"
        )
        months = dict(cursor.fetchall())
    assert len(months) > 1 and all(months.values()), months
