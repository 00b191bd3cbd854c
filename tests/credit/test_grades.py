"""Grades from records with the first scoring model (base 80; A ≥ 90, B ≥ 70, C ≥ 50),
worked by hand, with the explanation; the history; recomputation of everyone agrees with
one at a time."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from credit.grades.models import CreditGrade, GradeChange, ScoringModel
from credit.grades.scoring import check_model, compute
from credit.grades.services import recompute_all, recompute_grade
from credit.records.models import RecordKind, Severity
from credit.records.services import add_record, import_tax_grade
from credit.standing import explanation, standing
from tests.factories import CreditRecordFactory, EnterpriseFactory, department

pytestmark = pytest.mark.django_db
TODAY = date.today()


def penalty(enterprise, official, severity="general", **fields):
    fields.setdefault("occurred_on", TODAY)
    return add_record(
        enterprise=enterprise,
        kind=RecordKind.ADMINISTRATIVE_PENALTY,
        severity=severity,
        title="未按规定公示年度报告",
        actor=official,
        **fields,
    )


def test_an_enterprise_without_records_holds_the_base_grade(enterprise):
    current = standing(enterprise)
    assert (current.grade, current.score, current.stored) == ("B", 80, None)
    assert explanation(enterprise, current)["records"] == []


def test_grade_and_explanation_worked_by_hand(enterprise, market_official):
    tax = import_tax_grade(
        enterprise=enterprise, grade="A", assessed_on=TODAY, department=department("taxation")
    )
    assert CreditGrade.objects.get(enterprise=enterprise).grade == "A"  # 80 + 10 = 90
    fine = penalty(enterprise, market_official)  # - 15 = 75
    reward = add_record(
        enterprise=enterprise,
        kind=RecordKind.REWARD,
        severity=Severity.SERIOUS,
        title="省级守合同重信用企业",
        occurred_on=TODAY,
        actor=market_official,
    )  # + 10 = 85
    grade = CreditGrade.objects.get(enterprise=enterprise)
    assert (grade.grade, grade.score) == ("B", 85)
    assert grade.explanation["base"] == 80
    assert [(move["record"], move["points"]) for move in grade.explanation["records"]] == [
        (fine.pk, -15),
        (tax.pk, 10),
        (reward.pk, 10),
    ]
    history = list(
        GradeChange.objects.filter(enterprise=enterprise)
        .order_by("id")
        .values_list("previous_grade", "grade", "score", "cause")
    )
    assert history == [
        ("", "A", 90, f"record:{tax.pk}"),
        ("A", "B", 75, f"record:{fine.pk}"),
        ("B", "B", 85, f"record:{reward.pk}"),
    ]


def test_a_serious_penalty_drops_to_d(enterprise, market_official):
    penalty(enterprise, market_official, "serious")  # 80 - 35 = 45
    assert CreditGrade.objects.get(enterprise=enterprise).grade == "D"
    grade = CreditGrade.objects.get(enterprise=enterprise)
    assert grade.score == 45


def test_scores_are_clamped(enterprise, market_official):
    for _ in range(3):
        penalty(enterprise, market_official, "serious")
    assert CreditGrade.objects.get(enterprise=enterprise).score == 0


def test_the_newest_tax_grade_replaces_the_older(enterprise):
    taxation = department("taxation")
    import_tax_grade(
        enterprise=enterprise,
        grade="D",
        assessed_on=TODAY - timedelta(days=400),
        department=taxation,
    )
    import_tax_grade(enterprise=enterprise, grade="B", assessed_on=TODAY, department=taxation)
    grade = CreditGrade.objects.get(enterprise=enterprise)
    assert grade.score == 83  # only B (+3) counts
    assert enterprise.credit_records.filter(status="superseded").count() == 1
    # An older assessment arriving late does not replace the newer.
    import_tax_grade(
        enterprise=enterprise,
        grade="A",
        assessed_on=TODAY - timedelta(days=200),
        department=taxation,
    )
    assert CreditGrade.objects.get(enterprise=enterprise).score == 83
    assert enterprise.credit_records.filter(status="superseded").count() == 2


def test_expired_records_stop_counting(enterprise, market_official):
    # A minor, unpublished record counts for three months.
    penalty(enterprise, market_official, "minor", occurred_on=TODAY - timedelta(days=100))
    assert CreditGrade.objects.get(enterprise=enterprise).score == 80


def test_recomputing_everyone_agrees_with_one_at_a_time(market_official):
    enterprises = EnterpriseFactory.create_batch(6)
    for index, enterprise in enumerate(enterprises):
        for _ in range(index % 3):
            CreditRecordFactory(enterprise=enterprise, severity="serious")
        if index % 2:
            CreditRecordFactory(enterprise=enterprise, kind="reward", severity="general")
    # Its only record weighs nothing (tax grade M): graded all the same, at the base score.
    weightless = EnterpriseFactory()
    CreditRecordFactory(enterprise=weightless, kind="tax_grade", tax_grade="M")
    enterprises.append(weightless)
    result = recompute_all()
    # The first has no records: it holds the base grade without a stored row.
    assert (result.enterprises, result.created) == (6, 6)
    bulk = dict(CreditGrade.objects.values_list("enterprise_id", "score"))
    GradeChange.objects.all().delete()
    CreditGrade.objects.all().delete()
    for enterprise in enterprises[1:]:
        recompute_grade(enterprise, cause="test")
    single = dict(CreditGrade.objects.values_list("enterprise_id", "score"))
    assert bulk == single
    assert bulk[enterprises[2].pk] == 80 - 35 - 35
    assert bulk[enterprises[1].pk] == 80 - 35 + 6
    assert bulk[weightless.pk] == 80


def test_a_second_recomputation_changes_nothing():
    CreditRecordFactory()
    assert recompute_all().changed == 1
    again = recompute_all()
    assert (again.changed, again.enterprises) == (0, 1)


def test_explanation_after_a_recomputation_is_derived_again(enterprise):
    record = CreditRecordFactory(enterprise=enterprise, severity="serious")
    recompute_all()
    current = standing(enterprise)
    assert current.stored.explanation is None
    assert explanation(enterprise, current)["records"][0]["record"] == record.pk
    assert explanation(enterprise, current)["records"][0]["points"] == -35


def test_a_new_model_version_applies_from_its_day(enterprise):
    CreditRecordFactory(enterprise=enterprise, severity="general")  # v1: -15 → 65
    first = ScoringModel.objects.get(version=1)
    ScoringModel.objects.create(
        version=2,
        title="v2",
        base_score=80,
        thresholds=first.thresholds,
        weights={
            **first.weights,
            "administrative_penalty": {"minor": -5, "general": -20, "serious": -40},
        },
        in_force_from=TODAY + timedelta(days=1),
    )
    assert CreditGrade.objects.filter(enterprise=enterprise).count() == 0
    recompute_all()
    assert CreditGrade.objects.get(enterprise=enterprise).score == 65
    recompute_all(today=TODAY + timedelta(days=1))
    grade = CreditGrade.objects.get(enterprise=enterprise)
    assert (grade.score, grade.model.version) == (60, 2)


@pytest.mark.parametrize(
    ("base", "weights", "thresholds", "field"),
    [
        (120, None, None, "base_score"),
        (80, {"reward": {"minor": 1}}, None, "weights"),
        (80, None, {"A": 50, "B": 70, "C": 60}, "thresholds"),
        (80, None, {"A": 90, "B": 70}, "thresholds"),
    ],
)
def test_a_bad_model_is_refused_saying_where(base, weights, thresholds, field):
    first = ScoringModel.objects.get(version=1)
    with pytest.raises(ValidationError) as caught:
        check_model(base, weights or first.weights, thresholds or first.thresholds)
    assert field in caught.value.message_dict


def test_compute_is_pure_arithmetic():
    model = ScoringModel.objects.get(version=1)

    class Record:
        def __init__(self, pk, key):
            self.pk, self.score_key = pk, key
            self.kind, self.severity = key.split(":")
            self.tax_grade, self.title, self.occurred_on = "", "", timezone.localdate()

    result = compute(model, [Record(1, "arrears:general"), Record(2, "reward:minor")])
    assert (result.score, result.grade) == (73, "B")


def test_tax_grades_are_imported_from_the_extract_once():
    from credit.records.imports import import_tax_grades
    from datahub.extracts.reading import read_snapshot
    from datahub.extracts.refresh import refresh_extract

    enterprises = EnterpriseFactory.create_batch(8)
    refresh_extract("taxation", purpose="test: tax grades", as_of=TODAY)
    first = import_tax_grades()
    assert first["records_created"] == 8 and first["grades"]["created"] == 8
    snapshot = read_snapshot(["tax.credit_grade"])
    points = {"A": 10, "B": 3, "M": 0, "C": -10, "D": -30}
    for enterprise in enterprises:
        letter = snapshot.value(enterprise.pk, "tax.credit_grade")
        assert CreditGrade.objects.get(enterprise=enterprise).score == 80 + points[letter]
    again = import_tax_grades()
    assert (again["records_created"], again["unchanged"]) == (0, 8)


def test_a_graded_enterprise_and_its_scoring_model_cannot_be_deleted(client, enterprise):
    """The grade and its history name their enterprise and scoring model without a database
    constraint (credit/grades/models.py, "Unchecked keys"): the ORM's PROTECT is what keeps
    them, in the back office as anywhere else. Graded without a record, so that no other
    table's key protects the enterprise."""
    from django.db.models import ProtectedError

    from tests.factories import AdminFactory

    recompute_grade(enterprise, cause="test")
    assert GradeChange.objects.filter(enterprise=enterprise).count() == 1
    client.force_login(AdminFactory())
    page = client.post(f"/admin/enterprises/enterprise/{enterprise.pk}/delete/", {"post": "yes"})
    assert page.status_code == 200  # the "cannot delete" page, naming what protects it
    with pytest.raises(ProtectedError):
        enterprise.delete()
    with pytest.raises(ProtectedError):
        ScoringModel.objects.get(version=1).delete()
    grade = CreditGrade.objects.select_related("enterprise").get(enterprise=enterprise)
    assert grade.enterprise.uscc == enterprise.uscc
    assert GradeChange.objects.filter(enterprise=enterprise).count() == 1
