"""Approval on commitment: at once for a trustworthy enterprise, refused for the black list
and grade D (facts from the hub), and a failed verification revokes and records."""

from datetime import date

import pytest

from approvals.models import ApplicationStatus, ItemStatus, Permit
from approvals.services.applications import submit_application
from approvals.services.commitments import approve_on_commitment, verify_commitment
from approvals.services.refusals import ApprovalRefused, NotAllowed
from credit.commitments.models import Commitment, CommitmentStatus
from credit.commitments.services import breach_commitment, current_notice, start_verification
from credit.records.models import CreditRecord
from credit.records.services import add_record
from datahub.fetching.pipeline import fetch_facts
from qinqing.errors import Conflict
from qinqing.notifications.models import Notification
from tests.factories import department

from .conftest import draft_project, officials_for, submitted_project

pytestmark = pytest.mark.django_db


def penalise(enterprise, severity: str, times: int = 1) -> None:
    for number in range(times):
        add_record(enterprise=enterprise, kind="administrative_penalty", severity=severity,
                          title=f"行政处罚 {number}", occurred_on=date.today(), actor=None,
                          department=department("market"))  # fmt: skip


def credit_facts(enterprise) -> dict:
    return fetch_facts(enterprise, ["credit.black_list", "credit.grade"], purpose="test",
                       use_cache=False).values()  # fmt: skip


def test_a_five_item_project_on_commitments_is_approved_at_submission(applicant, project_package):
    user, enterprise = applicant
    application = submitted_project(applicant, project_package, on_commitment=True)
    assert application.status == ApplicationStatus.APPROVED
    items = list(application.items.all())
    assert {item.status for item in items} == {ItemStatus.COMMITTED}
    assert Permit.objects.filter(item__application=application).count() == 5
    commitments = Commitment.objects.filter(enterprise=enterprise)
    assert commitments.count() == 5
    notice = current_notice("approval-item")
    for item in items:
        commitment = commitments.get(pk=item.commitment_id)
        assert commitment.accepted_by == user and commitment.text_sha256 == notice.sha256
        assert commitment.department_id == item.department_id
        assert commitment.subject_ref == f"approvals.item:{item.pk}"
        assert item.verify_by == commitment.verify_by and item.verify_by > item.decided_at


def test_a_black_listed_enterprise_is_refused_the_route_and_nothing_changes(
    applicant, project_package
):
    user, enterprise = applicant
    penalise(enterprise, "serious")
    assert credit_facts(enterprise)["credit.black_list"] is True
    application = draft_project(applicant, project_package)
    with pytest.raises(ApprovalRefused, match="black list"):
        submit_application(application.pk, actor=user, on_commitment=True)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT and not application.items.exists()
    assert not Commitment.objects.exists()
    # The ordinary route stays open.
    submit_application(application.pk, actor=user)
    with pytest.raises(ApprovalRefused):
        approve_on_commitment(application.pk, actor=user)
    assert set(application.items.values_list("status", flat=True)) == {ItemStatus.PENDING}


def test_grade_d_is_refused_the_route(applicant, project_package):
    user, enterprise = applicant
    penalise(enterprise, "general", times=3)  # 80 - 45 = 35: grade D, not black-listed
    facts = credit_facts(enterprise)
    assert facts == {"credit.black_list": False, "credit.grade": "D"}
    application = submitted_project(applicant, project_package)
    with pytest.raises(ApprovalRefused, match="grade D"):
        approve_on_commitment(application.pk, actor=user)


def test_some_items_on_commitment_while_the_others_wait_for_review(applicant, project_package):
    user, _enterprise = applicant
    application = submitted_project(applicant, project_package)
    filing = application.items.get(item_type__code="project-filing")
    approve_on_commitment(application.pk, actor=user, item_ids=[filing.pk])
    filing.refresh_from_db()
    application.refresh_from_db()
    assert filing.status == ItemStatus.COMMITTED
    assert application.status == ApplicationStatus.IN_REVIEW
    with pytest.raises(Conflict):  # nothing left of what was named
        approve_on_commitment(application.pk, actor=user, item_ids=[filing.pk])


def test_a_failed_verification_revokes_the_approval_and_makes_a_credit_record(
    applicant, project_package
):
    user, enterprise = applicant
    application = submitted_project(applicant, project_package, on_commitment=True)
    fire = application.items.get(item_type__code="fire-design-review")
    emergency = officials_for("emergency")
    with pytest.raises(NotAllowed):
        verify_commitment(fire.pk, actor=officials_for("planning"), passed=False,
                                   note="x")  # fmt: skip
    with pytest.raises(ApprovalRefused):  # a failure needs its reason
        verify_commitment(fire.pk, actor=emergency, passed=False, note="")
    verify_commitment(fire.pk, actor=emergency, passed=False,
                               note="现场核查：消防通道宽度不符合设计承诺")  # fmt: skip
    fire.refresh_from_db()
    application.refresh_from_db()
    assert fire.status == ItemStatus.REVOKED
    assert application.status == ApplicationStatus.REVOKED
    assert not Permit.objects.get(item=fire).valid
    assert Commitment.objects.get(pk=fire.commitment_id).status == CommitmentStatus.BREACHED
    assert CreditRecord.objects.filter(enterprise=enterprise, kind="commitment_breached").exists()
    assert Notification.objects.filter(recipient=user, link=f"/approvals/{application.pk}/",
                                       kind="approval.decided").exists()  # fmt: skip
    # The other items stand; verifying one of them fulfils its commitment.
    filing = application.items.get(item_type__code="project-filing")
    verify_commitment(filing.pk, actor=officials_for("ndrc"), passed=True, note="")
    filing.refresh_from_db()
    assert filing.status == ItemStatus.VERIFIED
    assert Commitment.objects.get(pk=filing.commitment_id).status == CommitmentStatus.FULFILLED


def test_a_breach_recorded_in_credit_itself_also_revokes_the_approval(applicant, project_package):
    application = submitted_project(applicant, project_package, on_commitment=True)
    planning = application.items.get(item_type__code="planning-permit")
    official = officials_for("planning")
    start_verification(planning.commitment_id, actor=official)
    breach_commitment(planning.commitment_id, actor=official, reason="规划条件不符")
    planning.refresh_from_db()
    assert planning.status == ItemStatus.REVOKED
    assert not Permit.objects.get(item=planning).valid
