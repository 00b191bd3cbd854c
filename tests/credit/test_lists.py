"""List rules as data: a serious record or two breaches black-lists for a year; grade A held
for a year with a clean record red-lists; black beats red; terms end; the daily sweep and
a record's arrival agree; bad rules are refused saying where."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from credit.grades.models import CreditGrade
from credit.grades.services import recompute_all
from credit.lists.models import ListEntry, ListRule
from credit.lists.rules import RuleError, parse_condition
from credit.records.models import CreditRecord, RecordKind, add_months
from credit.records.services import add_record
from credit.sweep import daily_sweep
from qinqing.audit.models import AuditEvent
from tests.factories import CreditRecordFactory, EnterpriseFactory

pytestmark = pytest.mark.django_db
TODAY = date.today()


def serious_penalty(enterprise, official, **fields):
    fields.setdefault("occurred_on", TODAY)
    return add_record(
        enterprise=enterprise,
        kind=RecordKind.ADMINISTRATIVE_PENALTY,
        severity="serious",
        title="无证经营",
        actor=official,
        **fields,
    )


def a_grade_held_for_a_year(enterprise):
    """Grade A (tax grade A: 80 + 10) since thirteen months ago."""
    CreditRecordFactory(
        enterprise=enterprise,
        kind="tax_grade",
        tax_grade="A",
        severity="general",
        occurred_on=TODAY - timedelta(days=30),
    )
    recompute_all()
    CreditGrade.objects.filter(enterprise=enterprise).update(grade_since=add_months(TODAY, -13))


def test_a_serious_record_black_lists_for_a_year(enterprise, market_official):
    serious_penalty(enterprise, market_official)
    entry = ListEntry.objects.get(enterprise=enterprise)
    assert (entry.list_kind, entry.status, entry.valid_from) == ("black", "current", TODAY)
    assert entry.valid_until == add_months(TODAY, 12)
    assert entry.legal_basis.startswith("《国务院")
    assert entry.source == "rule:black-serious-or-repeated-breach"
    assert any(item["holds"] and item["value"] == 1 for item in entry.evidence)
    assert AuditEvent.objects.filter(action="credit.list_black_added").count() == 1


def test_a_serious_record_outside_the_window_does_not(enterprise, market_official):
    serious_penalty(enterprise, market_official, occurred_on=add_months(TODAY, -13))
    assert not ListEntry.objects.exists()


def test_a_general_record_does_not_black_list(enterprise, market_official):
    add_record(
        enterprise=enterprise,
        kind="inspection_violation",
        severity="general",
        title="抽查不合格",
        occurred_on=TODAY,
        actor=market_official,
    )
    assert not ListEntry.objects.exists()


def test_the_daily_sweep_red_lists_a_year_of_grade_a_and_is_idempotent(enterprise):
    a_grade_held_for_a_year(enterprise)
    first = daily_sweep()
    assert first["entries_added"] == 1
    entry = ListEntry.objects.get(enterprise=enterprise)
    assert entry.list_kind == "red" and entry.rule.code == "red-grade-a-clean-year"
    assert daily_sweep()["entries_added"] == 0
    assert ListEntry.objects.count() == 1


def test_grade_a_for_less_than_a_year_is_not_red_listed(enterprise):
    a_grade_held_for_a_year(enterprise)
    CreditGrade.objects.filter(enterprise=enterprise).update(grade_since=add_months(TODAY, -11))
    daily_sweep()
    assert not ListEntry.objects.exists()


def test_a_general_record_takes_a_red_listed_enterprise_off(enterprise, market_official):
    a_grade_held_for_a_year(enterprise)
    daily_sweep()
    with translation.override("en"):
        add_record(
            enterprise=enterprise,
            kind="inspection_violation",
            severity="general",
            title="抽查不合格",
            occurred_on=TODAY,
            actor=market_official,
        )
    entry = ListEntry.objects.get(enterprise=enterprise)
    assert entry.status == "removed" and "no longer holds" in entry.ended_reason


def test_black_beats_red(enterprise, market_official):
    a_grade_held_for_a_year(enterprise)
    daily_sweep()
    serious_penalty(enterprise, market_official)
    red, black = (
        ListEntry.objects.get(enterprise=enterprise, list_kind=kind) for kind in ("red", "black")
    )
    assert red.status == "removed" and black.status == "current"
    # While black-listed, never red again, even if the grade recovers.
    assert daily_sweep()["entries_added"] == 0


def test_terms_end_and_records_expire_in_the_sweep(enterprise, market_official):
    serious_penalty(enterprise, market_official)
    entry = ListEntry.objects.get()
    later = entry.valid_until + timedelta(days=1)
    old = CreditRecordFactory(
        enterprise=enterprise, severity="minor", occurred_on=TODAY - timedelta(days=200)
    )
    result = daily_sweep(today=later)
    entry.refresh_from_db()
    assert entry.status == "expired"
    assert result["entries_expired"] == 1
    assert CreditRecord.objects.get(pk=old.pk).status == "expired"
    # The serious record is 12 months and a day old: outside the rule's window now.
    assert ListEntry.objects.filter(status="current").count() == 0


def test_a_rule_added_as_data_applies(enterprise, market_official):
    ListRule.objects.create(
        code="black-arrears",
        list_kind="black",
        name_zh="欠缴",
        name_en="Arrears",
        legal_basis="某条",
        duration_months=6,
        condition={"records": {"kinds": ["arrears"], "within_months": 6}, "at_least": 1},
    )
    add_record(
        enterprise=enterprise,
        kind="arrears",
        severity="minor",
        title="欠缴社会保险费",
        occurred_on=TODAY,
        actor=market_official,
    )
    entry = ListEntry.objects.get(enterprise=enterprise)
    assert entry.rule.code == "black-arrears" and entry.valid_until == add_months(TODAY, 6)


def test_an_inactive_rule_does_nothing(enterprise, market_official):
    ListRule.objects.update(active=False)
    serious_penalty(enterprise, market_official)
    assert not ListEntry.objects.exists()


def test_the_sweep_and_a_records_arrival_agree(market_official):
    """The same rule evaluated for everyone in the sweep lists the same enterprises."""
    listed_by_sweep = EnterpriseFactory()
    CreditRecordFactory(enterprise=listed_by_sweep, severity="serious")
    CreditRecordFactory(enterprise=EnterpriseFactory(), severity="general")
    daily_sweep()
    assert list(ListEntry.objects.values_list("enterprise_id", flat=True)) == [listed_by_sweep.pk]


@pytest.mark.parametrize(("condition", "path"), [
    ({"records": {"within_months": 12}}, "condition"),
    ({"records": {"kinds": ["parking"], "within_months": 12}, "at_least": 1},
     "condition.records.kinds"),
    ({"records": {"within_months": 0}, "at_least": 1}, "condition.records.within_months"),
    ({"any": []}, "condition.any"),
    ({"grade": ["E"], "held_months": 12}, "condition.grade"),
    ({"records": {"within_months": 12}, "at_most": 0}, "condition"),
    ({"maybe": 1}, "condition"),
])  # fmt: skip
def test_bad_conditions_are_refused_saying_where(condition, path):
    with pytest.raises(RuleError) as caught:
        parse_condition(condition)
    assert caught.value.path == path
    rule = ListRule(
        code="x",
        list_kind="black",
        name_zh="x",
        name_en="x",
        legal_basis="x",
        duration_months=1,
        condition=condition,
    )
    with pytest.raises(ValidationError):
        rule.clean()


def test_a_condition_is_described_in_the_language_of_the_moment():
    """Descriptions are kept per condition and language (the sweep describes each condition
    for every enterprise it evaluates): the one kept for one language never answers in
    another."""
    from credit.lists.rules import describe

    condition = parse_condition({"records": {"within_months": 12}, "at_least": 1})
    with translation.override("zh-hans"):
        chinese = describe(condition)
    with translation.override("en"):
        english = describe(condition)
    with translation.override("zh-hans"):
        assert describe(condition) == chinese
    assert "失信记录" in chinese and "untrustworthy records" in english
