"""Real concurrency on PostgreSQL: records arriving together for one enterprise are graded
one after the other (none lost), racing breaches list once, and the recomputation of
everyone never overwrites a grade that a record's arrival wrote meanwhile."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from django.db import connections

from credit.commitments.models import Commitment, CommitmentStatus
from credit.commitments.services import breach_commitment, fulfil_commitment
from credit.grades.models import CreditGrade, GradeChange
from credit.grades.services import recompute_all
from credit.lists.models import ListEntry
from credit.records.services import add_record
from qinqing.errors import IllegalTransition
from tests.factories import (
    CommitmentFactory,
    CreditRecordFactory,
    EnterpriseFactory,
    OfficialFactory,
    department,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("reference_data")]  # fmt: skip


def race(count: int, action):
    barrier = threading.Barrier(count)

    def run(index):
        barrier.wait()
        try:
            return action(index)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_records_arriving_together_are_all_counted():
    enterprise = EnterpriseFactory()
    official = OfficialFactory(department=department("market"), district=None)
    race(6, lambda _i: add_record(
        enterprise=enterprise, kind="reward", severity="minor", title="表彰",
        occurred_on=date.today(), actor=official))  # fmt: skip
    grade = CreditGrade.objects.get(enterprise=enterprise)
    assert grade.score == 80 + 6 * 3
    assert len(grade.explanation["records"]) == 6
    # Each arrival saw the one before: the history climbs by 3 each time.
    scores = list(GradeChange.objects.filter(enterprise=enterprise).order_by("id")
                  .values_list("score", flat=True))  # fmt: skip
    assert scores == [80 + 3 * n for n in range(1, 7)]


def test_racing_breaches_black_list_once():
    enterprise = EnterpriseFactory()
    official = OfficialFactory(department=department("market"), district=None)
    commitments = [CommitmentFactory(enterprise=enterprise, status=CommitmentStatus.VERIFYING)
                   for _ in range(4)]  # fmt: skip
    race(4, lambda i: breach_commitment(commitments[i].pk, actor=official,
                                                 reason="现场不符"))  # fmt: skip
    assert Commitment.objects.filter(status=CommitmentStatus.BREACHED).count() == 4
    assert ListEntry.objects.filter(enterprise=enterprise, status="current").count() == 1


def test_the_same_commitment_decided_twice_at_once_is_decided_once():
    commitment = CommitmentFactory(status=CommitmentStatus.VERIFYING)
    official = OfficialFactory(department=department("market"), district=None)

    def decide(index):
        try:
            if index % 2:
                return fulfil_commitment(commitment.pk, actor=official).status
            return breach_commitment(commitment.pk, actor=official, reason="x").status
        except IllegalTransition:
            return "refused"

    outcomes = race(6, decide)
    assert sorted(outcomes).count("refused") == 5
    assert commitment.records.count() == 1


def test_a_grade_written_meanwhile_is_not_overwritten(monkeypatch):
    """The set-based run reads, then writes only rows still as it read them."""
    from credit.grades import services as grading
    from credit.grades.selectors import scoring_model_in_force

    enterprises = EnterpriseFactory.create_batch(1200)
    official = OfficialFactory(department=department("market"), district=None)
    for enterprise in enterprises:
        CreditGrade.objects.create(enterprise=enterprise, grade="A", score=95,
                                   model=scoring_model_in_force(),
                                   grade_since=date.today(),
                                   computed_at="2020-01-01T00:00:00Z")  # fmt: skip
    target = enterprises[0]
    original = grading._stored_grades

    def read_then_a_record_arrives(ids):
        stored = original(ids)
        # Between the run's read and its write, a record arrives for one enterprise.
        race(1, lambda _i: add_record(
            enterprise=target, kind="reward", severity="general", title="表彰",
            occurred_on=date.today(), actor=official))  # fmt: skip
        return stored

    monkeypatch.setattr(grading, "_stored_grades", read_then_a_record_arrives)
    result = recompute_all()
    assert result.skipped == 1
    assert CreditGrade.objects.get(enterprise=target).score == 86  # the record's, kept
    assert CreditGrade.objects.get(enterprise=enterprises[1]).score == 80
    # The history of what the run wrote: one row each, from A 95 to B 80 (written in SQL).
    history = GradeChange.objects.filter(cause="recompute")
    assert history.count() == 1199
    assert set(history.values_list("previous_grade", "previous_score", "grade", "score")) == {
        ("A", 95, "B", 80)
    }


def test_a_first_grade_written_meanwhile_restarts_the_chunk(monkeypatch):
    """New grades go in with COPY: a row a record's arrival created between the run's read
    and its write fails the chunk, which is read again and writes each change once."""
    from credit.grades import services as grading

    enterprises = EnterpriseFactory.create_batch(300)
    official = OfficialFactory(department=department("market"), district=None)
    target = enterprises[0]
    original = grading._stored_grades
    reads = []

    def read_then_a_record_arrives(chunk):
        stored = original(chunk)
        reads.append(len(stored[0]))
        if len(reads) == 1:  # the first read only: the retry reads what the arrival wrote
            race(1, lambda _i: add_record(
                enterprise=target, kind="reward", severity="general", title="表彰",
                occurred_on=date.today(), actor=official))  # fmt: skip
        return stored

    for enterprise in enterprises:
        CreditRecordFactory(enterprise=enterprise, severity="minor")  # 80 - 5 = 75
    monkeypatch.setattr(grading, "_stored_grades", read_then_a_record_arrives)
    result = recompute_all()
    assert reads == [0, 1]  # read again after the COPY met the arrival's row
    assert (result.created, result.changed, result.skipped) == (299, 299, 0)
    assert CreditGrade.objects.get(enterprise=target).score == 75 + 6  # the arrival's, kept
    assert GradeChange.objects.filter(cause="recompute").count() == 299
    assert GradeChange.objects.filter(enterprise=target).count() == 1  # the arrival's own
    assert CreditGrade.objects.count() == 300


def test_first_grades_arriving_at_every_attempt_do_not_stop_the_run(monkeypatch):
    """Records arriving faster than a chunk is read and written: each COPY attempt meets a
    first grade created meanwhile; the last attempt inserts around them instead of failing
    (before, the third IntegrityError stopped the whole run)."""
    from credit.grades import services as grading

    enterprises = EnterpriseFactory.create_batch(300)
    official = OfficialFactory(department=department("market"), district=None)
    original = grading._stored_grades
    reads = []

    def read_then_a_record_arrives(chunk):
        stored = original(chunk)
        arriving = enterprises[len(reads)]
        reads.append(len(stored[0]))
        race(1, lambda _i: add_record(
            enterprise=arriving, kind="reward", severity="general", title="表彰",
            occurred_on=date.today(), actor=official))  # fmt: skip
        return stored

    for enterprise in enterprises:
        CreditRecordFactory(enterprise=enterprise, severity="minor")  # 80 - 5 = 75
    monkeypatch.setattr(grading, "_stored_grades", read_then_a_record_arrives)
    result = recompute_all()
    assert reads == [0, 1, 2]  # three attempts, each meeting a new arrival
    # The first two arrivals were read back (same grade: unchanged); the third is left alone.
    assert (result.created, result.changed, result.skipped) == (297, 297, 1)
    assert CreditGrade.objects.get(enterprise=enterprises[2]).score == 75 + 6
    assert GradeChange.objects.filter(cause="recompute").count() == 297
    assert GradeChange.objects.filter(enterprise=enterprises[2]).count() == 1
    assert CreditGrade.objects.count() == 300
