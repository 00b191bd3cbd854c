"""Commitments: the notice accepted by hash, every legal and illegal transition, who may
decide, and a breach — record, grade, list rules and the signal, one transaction."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from credit.commitments.models import (
    Commitment,
    CommitmentNotice,
    CommitmentStatus,
    ImmutableNotice,
)
from credit.commitments.services import (
    breach_commitment,
    current_notice,
    fulfil_commitment,
    make_commitment,
    penalise_commitment,
    start_verification,
    withdraw_commitment,
)
from credit.errors import CommitmentRouteClosed, CreditRefused
from credit.grades.models import CreditGrade
from credit.lists.models import ListEntry
from credit.records.models import CreditRecord, RecordKind
from credit.signals import commitment_breached
from qinqing.audit.models import AuditEvent
from qinqing.errors import IllegalTransition
from tests.factories import (
    CommitmentFactory,
    EnterpriseFactory,
    OfficialFactory,
    department,
    district,
    member_of,
)

pytestmark = pytest.mark.django_db
S = CommitmentStatus


def commit(enterprise, member, **overrides):
    fields = {
        "enterprise": enterprise, "accepted_by": member,
        "notice": current_notice("approval-item"), "subject_kind": "approval_item",
        "subject_ref": "approvals.item:42", "verify_what": "现场核查生产条件",
        "verify_by": timezone.now() + timedelta(days=20), "department": department("market"),
    }  # fmt: skip
    fields.update(overrides)
    return make_commitment(**fields)


def test_the_seeded_notices_are_in_force_with_their_hash():
    for code in ("approval-item", "subsidy-declaration", "standalone"):
        notice = current_notice(code)
        assert notice.version == 1
        assert notice.sha256 == notice.compute_sha256()
        assert notice.consequences and notice.text_en


def test_a_newer_version_is_the_current_one_and_texts_never_change():
    first = current_notice("standalone")
    second = CommitmentNotice.objects.create(
        code="standalone",
        version=2,
        title="企业信用承诺书（2027）",
        text="新的承诺文本",
        consequences=first.consequences,
    )
    assert current_notice("standalone") == second
    second.text = "悄悄改过的文本"
    with pytest.raises(ImmutableNotice):
        second.save()
    with pytest.raises(CommitmentNotice.DoesNotExist):
        current_notice("no-such-notice")


def test_making_a_commitment_records_the_hash_and_a_record_of_no_weight(enterprise, member):
    commitment = commit(enterprise, member)
    assert commitment.status == S.MADE
    assert commitment.text_sha256 == current_notice("approval-item").sha256
    assert commitment.accepted_by == member
    record = CreditRecord.objects.get(commitment=commitment)
    assert record.kind == RecordKind.COMMITMENT_MADE
    assert CreditGrade.objects.get(enterprise=enterprise).score == 80
    assert AuditEvent.objects.filter(action="credit.commitment.made").count() == 1


@pytest.mark.parametrize(("overrides", "field"), [
    ({"verify_what": "  "}, "verify_what"),
    ({"verify_by": timezone.now() - timedelta(days=1)}, "verify_by"),
    ({"subject_ref": ""}, "subject_ref"),
    ({"subject_kind": "lottery"}, "subject_kind"),
])  # fmt: skip
def test_bad_commitments_are_refused_and_nothing_is_written(enterprise, member, overrides, field):
    with pytest.raises(CreditRefused) as caught:
        commit(enterprise, member, **overrides)
    assert field in caught.value.fields
    assert not Commitment.objects.exists()
    assert not CreditRecord.objects.exists()


def test_a_standalone_commitment_needs_no_subject(enterprise, member):
    commitment = commit(
        enterprise,
        member,
        subject_kind="standalone",
        subject_ref="",
        notice=current_notice("standalone"),
    )
    assert commitment.subject_ref == ""


def test_only_the_enterprises_members_commit_for_it(enterprise, other_member, market_official):
    for outsider in (other_member, market_official):
        with pytest.raises(PermissionDenied):
            commit(enterprise, outsider)


# --- The state machine ---------------------------------------------------------------------

ACTIONS = {
    S.VERIFYING: lambda pk, actor: start_verification(pk, actor=actor),
    S.FULFILLED: lambda pk, actor: fulfil_commitment(pk, actor=actor, note="核查属实"),
    S.BREACHED: lambda pk, actor: breach_commitment(pk, actor=actor, reason="现场不符"),
    S.PENALISED: lambda pk, actor: penalise_commitment(pk, actor=actor, reason="罚款一万元"),
    S.WITHDRAWN: lambda pk, actor: withdraw_commitment(pk, actor=actor),
}
CASES = [(here, there) for here in S.values for there in ACTIONS]


@pytest.mark.parametrize(("here", "there"), CASES)
def test_every_transition_legal_or_not(here, there, market_official):
    commitment = CommitmentFactory(status=here)
    records_before = CreditRecord.objects.count()
    if Commitment.transitions.allows(here, there):
        moved = ACTIONS[there](commitment.pk, market_official)
        assert moved.status == there
        assert Commitment.objects.get(pk=commitment.pk).status == there
        assert AuditEvent.objects.filter(
            action=f"credit.commitment.{there}", object_id=str(commitment.pk)
        ).exists()
        if there in (S.FULFILLED, S.BREACHED, S.PENALISED):
            assert moved.decided_by == market_official and moved.decided_at is not None
            assert CreditRecord.objects.filter(commitment=commitment).count() == 1
    else:
        with pytest.raises(IllegalTransition):
            ACTIONS[there](commitment.pk, market_official)
        assert Commitment.objects.get(pk=commitment.pk).status == here
        assert CreditRecord.objects.count() == records_before
        assert not AuditEvent.objects.filter(object_type="credit.commitment").exists()


def test_the_table_is_the_issue_s_life_cycle():
    expected = {
        S.MADE: {S.VERIFYING, S.WITHDRAWN},
        S.VERIFYING: {S.FULFILLED, S.BREACHED, S.WITHDRAWN},
        S.FULFILLED: set(), S.BREACHED: {S.PENALISED}, S.PENALISED: {S.REPAIRED},
        S.REPAIRED: set(), S.WITHDRAWN: set(),
    }  # fmt: skip
    assert expected == Commitment.transitions.table


def test_a_missing_commitment_is_a_clear_refusal(market_official):
    with pytest.raises(CreditRefused):
        start_verification(999_999, actor=market_official)


def test_who_may_verify(market_official, market_binjiang, tax_official):
    commitment = CommitmentFactory()  # a Xihu enterprise, verified by Market Supervision
    member = commitment.accepted_by
    for outsider in (member, tax_official, market_binjiang):
        with pytest.raises(PermissionDenied):
            start_verification(commitment.pk, actor=outsider)
    # An official of the department who is also a member of the enterprise may not either.
    insider = OfficialFactory(department=department("market"))
    member_of_enterprise = commitment.enterprise.memberships.create(user=insider, role="agent")
    with pytest.raises(PermissionDenied):
        start_verification(commitment.pk, actor=insider)
    member_of_enterprise.delete()
    assert start_verification(commitment.pk, actor=None).status == S.VERIFYING
    xihu = OfficialFactory(department=department("market"), district=district("xihu"))
    assert fulfil_commitment(commitment.pk, actor=xihu).status == S.FULFILLED


def test_the_enterprise_withdraws_before_the_outcome_but_not_after(market_official):
    commitment = CommitmentFactory()
    assert withdraw_commitment(commitment.pk, actor=commitment.accepted_by).status == S.WITHDRAWN
    other = CommitmentFactory(status=S.VERIFYING)
    with pytest.raises(PermissionDenied):
        withdraw_commitment(other.pk, actor=member_of(EnterpriseFactory()))


def test_a_breach_needs_a_reason(market_official):
    commitment = CommitmentFactory(status=S.VERIFYING)
    with pytest.raises(CreditRefused):
        breach_commitment(commitment.pk, actor=market_official, reason="  ")
    assert Commitment.objects.get(pk=commitment.pk).status == S.VERIFYING


# --- Breach: one transaction with its consequences and the signal ---------------------------


def test_a_breach_records_regrades_and_signals_inside_the_transaction(market_official):
    commitment = CommitmentFactory(status=S.VERIFYING)
    seen = {}

    def receiver(sender, commitment, actor, **kwargs):
        seen["sender"], seen["actor"] = sender, actor
        seen["in_transaction"] = transaction.get_connection().in_atomic_block
        seen["status"] = Commitment.objects.get(pk=commitment.pk).status
        seen["record"] = CreditRecord.objects.filter(
            commitment=commitment, kind=RecordKind.COMMITMENT_BREACHED
        ).exists()
        seen["grade"] = CreditGrade.objects.get(enterprise=commitment.enterprise).score

    commitment_breached.connect(receiver)
    try:
        breach_commitment(commitment.pk, actor=market_official, reason="现场不符")
    finally:
        commitment_breached.disconnect(receiver)
    assert seen == {
        "sender": Commitment,
        "actor": market_official,
        "in_transaction": True,
        "status": S.BREACHED,
        "record": True,
        "grade": 60,
    }  # 80 - 20


def test_a_receiver_that_fails_rolls_the_breach_back_whole(market_official):
    commitment = CommitmentFactory(status=S.VERIFYING)
    # One breach already: a second within a year would black-list the enterprise.
    CommitmentFactory(enterprise=commitment.enterprise, status=S.VERIFYING)
    first = Commitment.objects.exclude(pk=commitment.pk).get()
    breach_commitment(first.pk, actor=market_official, reason="现场不符")
    grade_before = CreditGrade.objects.get(enterprise=commitment.enterprise).score
    events_before = AuditEvent.objects.count()

    def refuse(**kwargs):
        raise RuntimeError("approvals could not revoke the approval")

    commitment_breached.connect(refuse)
    try:
        with pytest.raises(RuntimeError):
            breach_commitment(commitment.pk, actor=market_official, reason="现场不符")
    finally:
        commitment_breached.disconnect(refuse)
    commitment.refresh_from_db()
    assert commitment.status == S.VERIFYING and commitment.decided_at is None
    assert CreditRecord.objects.filter(commitment=commitment).count() == 0
    assert CreditGrade.objects.get(enterprise=commitment.enterprise).score == grade_before
    assert not ListEntry.objects.exists()
    assert AuditEvent.objects.count() == events_before


def test_two_breaches_in_a_year_black_list_and_close_the_commitment_route(market_official):
    enterprise = EnterpriseFactory()
    member = member_of(enterprise)
    for _ in range(2):
        commitment = commit(enterprise, member)
        start_verification(commitment.pk, actor=market_official)
        breach_commitment(commitment.pk, actor=market_official, reason="现场不符")
    entry = ListEntry.objects.get(enterprise=enterprise)
    assert entry.list_kind == "black" and entry.rule.code == "black-serious-or-repeated-breach"
    assert entry.valid_until.year == entry.valid_from.year + 1
    with pytest.raises(CommitmentRouteClosed):
        commit(enterprise, member)
