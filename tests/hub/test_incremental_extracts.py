"""An extract refresh is incremental: the new rows are compared with the old in one
set-based step, only the rows that differ are written, exactly the enterprises whose facts
changed are signalled, corrections keep winning, and `refresh_rows` never interleaves with
a full refresh of the same department (issues #22 and #24)."""

import threading
import time
from datetime import date

import numpy as np
import pytest
from django.db import connection, transaction
from django.utils import timezone

from datahub.catalogue import CATALOGUE
from datahub.corrections import period_of
from datahub.extracts.reading import read_snapshot
from datahub.extracts.refresh import lock_extract, refresh_extract, refresh_rows
from datahub.extracts.subjects import table_name
from datahub.models import FactCorrection
from datahub.signals import facts_changed
from departments.models import Department
from sandbox.departments.adapter import SimulatedAdapter
from tests.factories import EnterpriseFactory, OfficialFactory, department

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 27)
STAFF = "hrss.insured_employees"
on_postgresql = pytest.mark.skipif("connection.vendor != 'postgresql'")


@pytest.fixture
def staff(monkeypatch):
    """The simulated Human Resources department reports these insured staff numbers (by
    enterprise id, 0 for the others): what a test changes between two extracts."""
    numbers: dict[int, int] = {}
    original = SimulatedAdapter.extract

    def extract(self, request):
        columns = original(self, request)
        if STAFF in columns:
            ids = request.enterprise_ids.tolist()
            columns[STAFF] = np.array([numbers.get(pk, 0) for pk in ids], dtype=np.int64)
        return columns

    monkeypatch.setattr(SimulatedAdapter, "extract", extract)
    return numbers


@pytest.fixture
def heard():
    calls: list[dict] = []

    def listen(sender, **kwargs):
        calls.append({k: kwargs[k] for k in ("enterprise_ids", "facts", "cause")})

    facts_changed.connect(listen, dispatch_uid="test.incremental")
    yield calls
    facts_changed.disconnect(dispatch_uid="test.incremental")


def refresh(code="hrss"):
    with transaction.atomic():  # the signal goes on commit, as in a worker
        return refresh_extract(code, purpose="test", as_of=AS_OF)


def fresh_start(code="hrss"):
    with connection.cursor() as cursor:  # an earlier test's table would differ from these rows
        cursor.execute(f"DROP TABLE IF EXISTS {table_name(code)}")


def test_exactly_the_changed_enterprises_and_facts_are_signalled(
    staff, heard, django_capture_on_commit_callbacks
):
    fresh_start()
    enterprises = EnterpriseFactory.create_batch(10)
    ids = [e.pk for e in enterprises]
    staff.update({pk: 5 for pk in ids})
    with django_capture_on_commit_callbacks(execute=True):
        refresh()
    assert heard == []  # a first extract has nothing to differ from
    staff[ids[2]], staff[ids[7]] = 50, 0
    with django_capture_on_commit_callbacks(execute=True):
        refresh()
    assert heard == [{"enterprise_ids": sorted([ids[2], ids[7]]), "facts": [STAFF],
                      "cause": "extract"}]  # fmt: skip
    snapshot = read_snapshot([STAFF])
    assert [snapshot.value(pk, STAFF) for pk in ids] == [staff[pk] for pk in ids]
    heard.clear()
    with django_capture_on_commit_callbacks(execute=True):
        refresh()  # the same extract again
    assert heard == []


def test_a_new_enterprise_and_one_gone_are_changes(
    staff, heard, django_capture_on_commit_callbacks
):
    fresh_start("market")
    first, leaving = EnterpriseFactory(), EnterpriseFactory()
    with django_capture_on_commit_callbacks(execute=True):
        refresh("market")
    newcomer = EnterpriseFactory()
    leaving_pk = leaving.pk
    leaving.delete()
    with django_capture_on_commit_callbacks(execute=True):
        refresh("market")
    assert [call["enterprise_ids"] for call in heard] == [sorted([leaving_pk, newcomer.pk])]
    assert "market.registration_status" in heard[0]["facts"]
    assert read_snapshot(["market.registration_status"]).enterprise_ids.tolist() == sorted(
        [first.pk, newcomer.pk]
    )


def test_a_change_of_a_corrected_fact_is_no_change_and_the_correction_still_wins(
    staff, heard, django_capture_on_commit_callbacks
):
    fresh_start()
    corrected, other = EnterpriseFactory(), EnterpriseFactory()
    staff.update({corrected.pk: 3, other.pk: 3})
    refresh()
    FactCorrection.objects.create(
        enterprise=corrected, fact=STAFF, period=period_of(CATALOGUE[STAFF], AS_OF), value=12,
        department=department("hrss"), dispute_reference="D-1",
        corrected_by=OfficialFactory(), corrected_by_label="official", corrected_at=timezone.now(),
    )  # fmt: skip
    staff.update({corrected.pk: 4, other.pk: 4})
    with django_capture_on_commit_callbacks(execute=True):
        refresh()
    assert [call["enterprise_ids"] for call in heard] == [[other.pk]]
    snapshot = read_snapshot([STAFF])
    assert snapshot.value(corrected.pk, STAFF) == 12 and snapshot.value(other.pk, STAFF) == 4


def test_refresh_rows_brings_only_the_named_rows_up_to_date(staff):
    fresh_start()
    one, two = EnterpriseFactory(), EnterpriseFactory()
    staff.update({one.pk: 1, two.pk: 1})
    refresh()
    staff.update({one.pk: 9, two.pk: 9})
    assert refresh_rows([one.pk], [STAFF], as_of=AS_OF) == ["hrss"]
    snapshot = read_snapshot([STAFF])
    assert (snapshot.value(one.pk, STAFF), snapshot.value(two.pk, STAFF)) == (9, 1)


@on_postgresql
def test_rows_that_did_not_change_are_not_written(staff):
    fresh_start()
    enterprises = EnterpriseFactory.create_batch(5)
    ids = [e.pk for e in enterprises]
    staff.update({pk: 2 for pk in ids})
    refresh()

    def versions():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT enterprise_id, xmin::text FROM {table_name('hrss')} "  # noqa: S608
                           "ORDER BY enterprise_id")  # fmt: skip
            return dict(cursor.fetchall())

    before = versions()
    staff[ids[1]] = 8
    refresh()
    after = versions()
    assert [pk for pk in ids if before[pk] != after[pk]] == [ids[1]]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_refresh_rows_waits_for_a_full_refresh_of_the_same_department(staff, reference_data):
    fresh_start()
    enterprise = EnterpriseFactory()
    refresh()
    hrss = Department.objects.get(code="hrss").pk
    held, release, finished = threading.Event(), threading.Event(), []

    def full_refresh_in_progress():
        try:
            with transaction.atomic():
                lock_extract(hrss)  # what refresh_extract holds while it works
                held.set()
                release.wait(10)
        finally:
            connection.close()

    def one_row():
        try:
            refresh_rows([enterprise.pk], [STAFF], as_of=AS_OF)
            finished.append(time.monotonic())
        finally:
            connection.close()

    holder = threading.Thread(target=full_refresh_in_progress)
    holder.start()
    assert held.wait(10)
    waiter = threading.Thread(target=one_row)
    waiter.start()
    waiter.join(0.5)
    assert finished == []  # waiting for the refresh's lock
    released_at = time.monotonic()
    release.set()
    holder.join(10)
    waiter.join(10)
    assert finished and finished[0] >= released_at


def test_a_change_of_one_unit_in_any_kind_of_fact_is_signalled(
    monkeypatch, heard, django_capture_on_commit_callbacks
):
    """A whole extract is compared with the stored one in memory (and in SQL when it cannot
    be): a day, a boolean, a tenth, a fen or a code that differs is each a change, and
    nothing else is."""
    original = SimulatedAdapter.extract
    nudges: dict[tuple[int, str], object] = {}

    def extract(self, request):
        columns = original(self, request)
        ids = request.enterprise_ids.tolist()
        for (pk, name), nudge in nudges.items():
            if name in columns:
                column = columns[name] = columns[name].copy()
                at = ids.index(pk)
                column[at] = nudge(column[at])
        return columns

    monkeypatch.setattr(SimulatedAdapter, "extract", extract)
    fresh_start("housing")
    fresh_start("market")
    enterprises = EnterpriseFactory.create_batch(6)
    ids = [e.pk for e in enterprises]
    with django_capture_on_commit_callbacks(execute=True):
        refresh("housing")
        refresh("market")
    nudges.update({
        (ids[0], "housing.lease_expires_on"): lambda days: days + 1,
        (ids[1], "housing.lease_registered"): lambda flag: not flag,
        (ids[2], "housing.leased_floor_area"): lambda tenths: tenths + 1,
        (ids[3], "housing.monthly_rent"): lambda fen: fen + 1,
        (ids[4], "market.industry_code"): lambda code: "Z" if code != "Z" else "Y",
    })  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        refresh("housing")
        refresh("market")
    assert [call["enterprise_ids"] for call in heard] == [ids[:4], [ids[4]]]
    assert heard[0]["facts"] == ["housing.lease_expires_on", "housing.lease_registered",
                                 "housing.leased_floor_area", "housing.monthly_rent"]  # fmt: skip
    assert heard[1]["facts"] == ["market.industry_code"]
    snapshot = read_snapshot(["housing.monthly_rent", "market.industry_code"])
    assert snapshot.value(ids[4], "market.industry_code") in ("Y", "Z")
