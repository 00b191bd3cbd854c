"""Credit repair: not before the minimum period; with evidence and a new commitment; the
record's department decides; approval ends the record's effect and recomputes the grade."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from credit.commitments.models import CommitmentStatus
from credit.commitments.services import is_black_listed
from credit.errors import CreditRefused
from credit.grades.models import CreditGrade
from credit.records.models import RecordKind, RecordStatus
from credit.records.selectors import public_records
from credit.records.services import add_record
from credit.repair.models import RepairStatus
from credit.repair.selectors import repairs_visible_to
from credit.repair.services import apply_for_repair, decide_repair
from qinqing.errors import IllegalTransition
from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of

pytestmark = pytest.mark.django_db
TODAY = date.today()


@pytest.fixture
def enterprise():
    return EnterpriseFactory()


@pytest.fixture
def member(enterprise):
    return member_of(enterprise)


def penalty(enterprise, official, severity="general", days_ago=120, today=None):
    return add_record(
        enterprise=enterprise,
        kind=RecordKind.ADMINISTRATIVE_PENALTY,
        severity=severity,
        title="超范围经营",
        actor=official,
        occurred_on=TODAY - timedelta(days=days_ago),
        today=today,
    )


def test_repair_before_the_minimum_period_is_refused(enterprise, member, market_official):
    general = penalty(enterprise, market_official, "general", days_ago=30)
    serious = penalty(enterprise, market_official, "serious", days_ago=200)
    for record in (general, serious):
        with pytest.raises(CreditRefused, match="may be repaired from"):
            apply_for_repair(record.pk, actor=member, evidence="已整改")
    minor = penalty(enterprise, market_official, "minor", days_ago=0)
    assert apply_for_repair(minor.pk, actor=member, evidence="已整改").status == "pending"


def test_approval_repairs_the_record_and_recomputes_the_grade(enterprise, member, market_official):
    record = penalty(enterprise, market_official, "serious", days_ago=400)
    lowered = CreditGrade.objects.get(enterprise=enterprise).score
    application = apply_for_repair(record.pk, actor=member, evidence="已缴纳罚款并整改完毕")
    assert application.commitment.status == CommitmentStatus.MADE
    assert application.commitment.subject_ref == f"repair:record:{record.pk}"
    with pytest.raises(IllegalTransition):
        apply_for_repair(record.pk, actor=member, evidence="again")
    decide_repair(application.pk, actor=market_official, approve=True)
    record.refresh_from_db()
    application.refresh_from_db()
    assert record.status == RecordStatus.REPAIRED and application.status == RepairStatus.APPROVED
    assert CreditGrade.objects.get(enterprise=enterprise).score > lowered
    assert not public_records(enterprise).filter(pk=record.pk).exists()
    with pytest.raises(IllegalTransition):
        decide_repair(application.pk, actor=market_official, approve=False, reason="x")


def test_repair_takes_a_black_listed_enterprise_off_the_list(enterprise, member, market_official):
    # Listed two months ago, when the serious penalty was within the rule's 12 months.
    record = penalty(
        enterprise, market_official, "serious", days_ago=400, today=TODAY - timedelta(days=60)
    )
    assert is_black_listed(enterprise)
    application = apply_for_repair(record.pk, actor=member, evidence="整改完毕")
    decide_repair(application.pk, actor=market_official, approve=True)
    assert not is_black_listed(enterprise)


def test_rejection_needs_a_reason_and_leaves_the_record(enterprise, member, market_official):
    record = penalty(enterprise, market_official, "general", days_ago=120)
    application = apply_for_repair(record.pk, actor=member, evidence="已整改")
    with pytest.raises(CreditRefused):
        decide_repair(application.pk, actor=market_official, approve=False, reason="")
    decide_repair(application.pk, actor=market_official, approve=False, reason="整改材料不足")
    record.refresh_from_db()
    assert record.status == RecordStatus.ACTIVE
    # A new application may follow a rejected one.
    assert apply_for_repair(record.pk, actor=member, evidence="补充材料").pk


def test_who_may_apply_and_decide(enterprise, member, market_official, tax_official):
    record = penalty(enterprise, market_official, "general", days_ago=120)
    stranger = member_of(EnterpriseFactory())
    with pytest.raises(PermissionDenied):
        apply_for_repair(record.pk, actor=stranger, evidence="x")
    with pytest.raises(CreditRefused):
        apply_for_repair(record.pk, actor=member, evidence="  ")
    application = apply_for_repair(record.pk, actor=member, evidence="已整改")
    for outsider in (
        tax_official,
        member,
        OfficialFactory(
            department=department("market"),
            district=enterprise.district.__class__.objects.exclude(
                pk=enterprise.district_id
            ).first(),
        ),
    ):
        with pytest.raises(PermissionDenied):
            decide_repair(application.pk, actor=outsider, approve=True)
    assert repairs_visible_to(tax_official).count() == 0
    assert repairs_visible_to(market_official).count() == 1
    assert repairs_visible_to(member).count() == 1
    assert repairs_visible_to(stranger).count() == 0


def test_only_negative_records_in_effect_are_repaired(enterprise, member, market_official):
    reward = add_record(
        enterprise=enterprise,
        kind=RecordKind.REWARD,
        severity="minor",
        title="守合同重信用",
        actor=market_official,
        occurred_on=TODAY,
    )
    with pytest.raises(CreditRefused, match="untrustworthy"):
        apply_for_repair(reward.pk, actor=member, evidence="x")
