"""Bulk extracts agree with single answers, are swapped in whole, and are logged."""

from datetime import date

import pytest

from datahub.extracts.reading import SnapshotMissing, read_snapshot
from datahub.extracts.refresh import refresh_extract
from datahub.fetching.pipeline import fetch_facts
from datahub.models import DataCall, SnapshotRefresh
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 27)
FACTS = [
    "tax.annual_revenue", "tax.arrears", "tax.credit_grade", "tax.last_filing_on",
    "hrss.insured_employees", "hrss.insured_employees_m12", "hrss.annual_wage_bill",
    "housing.leased_floor_area", "housing.lease_registered", "housing.monthly_rent",
    "market.registration_status", "market.registered_capital", "market.established_on",
    "planning.land_parcels", "planning.land_use_type",
]  # fmt: skip


def refresh_all(purpose="test: batch matching"):
    return [refresh_extract(code, purpose=purpose, as_of=AS_OF)
            for code in ("taxation", "hrss", "housing", "market", "planning")]  # fmt: skip


def test_a_fact_from_the_extract_equals_the_same_fact_fetched_alone():
    enterprises = [EnterpriseFactory() for _ in range(25)]
    refresh_all()
    snapshot = read_snapshot(FACTS)
    assert sorted(snapshot.enterprise_ids.tolist()) == sorted(e.pk for e in enterprises)
    for enterprise in enterprises:
        live = fetch_facts(enterprise, FACTS, purpose="test", as_of=AS_OF, use_cache=False)
        for name in FACTS:
            assert snapshot.value(enterprise.pk, name) == live[name].value, (enterprise, name)


def test_each_refresh_is_one_logged_call_with_its_purpose():
    EnterpriseFactory.create_batch(3)
    refresh = refresh_extract("taxation", purpose="nightly bulk extract", as_of=AS_OF)
    assert refresh.status == SnapshotRefresh.Status.DONE
    assert refresh.rows == 3 and refresh.seconds is not None
    call = DataCall.objects.get()
    assert call.enterprise is None
    assert call.rows == 3
    assert call.purpose == "nightly bulk extract"
    assert call.transport == "extract"


def test_a_refresh_replaces_the_extract_whole():
    first = EnterpriseFactory()
    refresh_extract("market", purpose="test", as_of=AS_OF)
    second = EnterpriseFactory()
    assert read_snapshot(["market.registration_status"]).enterprise_ids.tolist() == [first.pk]
    refresh_extract("market", purpose="test", as_of=AS_OF)
    ids = read_snapshot(["market.registration_status"]).enterprise_ids.tolist()
    assert sorted(ids) == sorted([first.pk, second.pk])


def test_reading_an_extract_that_was_never_made_says_so():
    with pytest.raises(SnapshotMissing):
        read_snapshot(["planning.land_parcels"])


def test_a_purpose_is_required_for_an_extract_too():
    with pytest.raises(ValueError):
        refresh_extract("taxation", purpose=" ")
