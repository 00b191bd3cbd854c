"""The call-log pages keep their cost as the log grows (issue #25): the officials' list
counts only so far, its per-department figures are one aggregate, and the enterprise's own
list merges its calls with the extracts read for it, newest first, page by page."""

from datetime import timedelta

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from datahub import selectors
from datahub.models import CallOutcome, DataCall
from datahub.selectors import department_stats, reads_of_enterprise
from tests.factories import OfficialFactory, department

pytestmark = pytest.mark.django_db


def call(minutes_ago: float, *, enterprise=None, code="taxation", outcome=CallOutcome.OK,
         latency=10.0) -> DataCall:  # fmt: skip
    return DataCall.objects.create(
        department=department(code), interface="tax", enterprise=enterprise, fact_names=[],
        purpose="test", transport="inprocess", outcome=outcome, latency_ms=latency,
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
    )  # fmt: skip


def test_the_official_list_counts_only_so_far_and_says_so(client, monkeypatch):
    for minutes in range(5):
        call(minutes)
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 3)
    client.force_login(OfficialFactory(department=department("taxation"), district=None))
    response = client.get(reverse("data_calls"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["more"] is True
    assert response.context["page"].paginator.count == 3
    assert "More than 3 calls" in response.content.decode()
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 10)
    response = client.get(reverse("data_calls"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["more"] is False and response.context["page"].paginator.count == 5


def test_department_figures_are_the_percentiles_of_the_answered_calls():
    latencies = [5.0, 7.0, 20.0, 40.0, 41.0, 300.0]
    for index, latency in enumerate(latencies):
        call(index, latency=latency)
    call(1, outcome=CallOutcome.TIMEOUT, latency=1000.0)
    call(2, outcome=CallOutcome.CACHED, latency=0.1)  # a cache hit is no call
    call(60 * 24 * 8, latency=9999.0)  # older than the week
    call(3, code="hrss", latency=50.0)
    stats = {row.department.code: row for row in department_stats(DataCall.objects.all())}
    tax = stats["taxation"]
    assert (tax.calls, tax.failed) == (7, 1)
    assert tax.p50_ms == pytest.approx(np.percentile(latencies, 50))
    assert tax.p95_ms == pytest.approx(np.percentile(latencies, 95))
    assert (stats["hrss"].calls, stats["hrss"].p50_ms) == (1, pytest.approx(50.0))


def test_the_enterprise_list_merges_its_calls_and_the_extracts_read_for_it(
    monkeypatch, member, enterprise
):
    own = [call(minutes, enterprise=enterprise) for minutes in (1, 3, 5, 7, 9)]
    extracts = [call(minutes) for minutes in (2, 6, 100)]
    call(4)  # an extract not read for it
    monkeypatch.setattr(selectors, "reads_for", lambda e: {c.pk: "why" for c in extracts})
    calls, on_behalf = reads_of_enterprise(member, enterprise)
    newest_first = sorted(own + extracts, key=lambda c: c.started_at, reverse=True)
    assert calls.count() == 8 and set(on_behalf) == {c.pk for c in extracts}
    assert [c.pk for c in calls[0:3]] == [c.pk for c in newest_first[0:3]]
    assert [c.pk for c in calls[3:6]] == [c.pk for c in newest_first[3:6]]
    assert [c.pk for c in calls[6:9]] == [c.pk for c in newest_first[6:8]]
