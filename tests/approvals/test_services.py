"""Approvals end to end through the services: the rules table, parallel review, the clock,
supplements, rejections, automatic decisions and enterprise establishment."""

from datetime import datetime, timedelta

import pytest

from approvals.models import (
    Application,
    ApplicationStatus,
    Item,
    ItemStatus,
    Permit,
)
from approvals.services.applications import (
    save_answers,
    start_application,
    submit_application,
    withdraw_application,
)
from approvals.services.deadlines import watch_deadlines
from approvals.services.decisions import (
    answer_supplement,
    approve_item,
    assign_item,
    pause_clock,
    reject_item,
    request_supplement,
    resubmit_item,
    resume_clock,
)
from approvals.services.refusals import ApprovalRefused, NotAllowed, SheetInvalid
from approvals.services.registration import issue_uscc
from approvals.sheet import needed_item_types
from enterprises.models import Enterprise, EnterpriseMembership, MemberRole
from qinqing.audit.models import AuditEvent
from qinqing.errors import Conflict
from qinqing.identifiers import is_valid_uscc
from qinqing.notifications.models import Notification
from qinqing.workhours.case_services import read_clock
from tests.factories import UserFactory

from .conftest import (
    ESTABLISHMENT,
    FIVE_ITEM_PROJECT,
    SHANGHAI,
    TUESDAY_9AM,
    draft_project,
    officials_for,
    submitted_project,
)

pytestmark = pytest.mark.django_db


def codes(item_types) -> list[str]:
    return [item_type.code for item_type in item_types]


class TestRulesTable:
    def test_a_new_factory_needs_the_five_items(self, project_package):
        assert codes(needed_item_types(project_package, FIVE_ITEM_PROJECT)) == [
            "project-filing",
            "planning-permit",
            "construction-permit",
            "eia-approval",
            "fire-design-review",
        ]

    def test_no_building_needs_only_the_filing_and_the_registration(self, project_package):
        answers = {**FIVE_ITEM_PROJECT, "floor_area": "0", "environmental_category": "registration"}
        assert codes(needed_item_types(project_package, answers)) == [
            "project-filing",
            "eia-registration",
        ]

    def test_a_small_building_needs_no_construction_permit(self, project_package):
        answers = {**FIVE_ITEM_PROJECT, "floor_area": "300.00", "environmental_category": "exempt"}
        assert codes(needed_item_types(project_package, answers)) == [
            "project-filing",
            "planning-permit",
            "fire-design-review",
        ]

    def test_an_administrator_edited_rule_changes_the_items(self, project_package):
        construction = project_package.item_types.get(code="construction-permit")
        construction.rules.update(value=50000)
        assert "construction-permit" not in codes(
            needed_item_types(project_package, FIVE_ITEM_PROJECT)
        )


class TestSheet:
    def test_prefill_from_the_register_is_marked_with_its_source(self, applicant, project_package):
        user, enterprise = applicant
        application = start_application(package=project_package, actor=user, enterprise=enterprise)
        assert application.answers["district"] == "xihu"
        assert application.prefill["district"]["source"] == "register"
        # The land use comes from the planning department through the hub.
        assert application.prefill["land_use_type"]["source"] == "hub"
        assert application.prefill["land_use_type"]["department"] == "planning"

    def test_a_disputed_prefill_is_kept_with_the_applicant_note(self, applicant, project_package):
        application = draft_project(applicant, project_package)
        application = save_answers(
            application.pk,
            actor=applicant[0],
            answers={"land_use_type": "mixed"},
            disputes={"land_use_type": "地块已变更为综合用地"},
        )
        assert application.answers["land_use_type"] == "mixed"
        assert application.prefill["land_use_type"]["disputed"] is True
        assert application.prefill["land_use_type"]["note"] == "地块已变更为综合用地"

    def test_bad_answers_are_refused_field_by_field_and_nothing_is_saved(
        self, applicant, project_package
    ):
        application = draft_project(applicant, project_package)
        with pytest.raises(SheetInvalid) as refused:
            save_answers(
                application.pk,
                actor=applicant[0],
                answers={
                    "total_investment": "lots",
                    "floor_area": "-5",
                    "district": "atlantis",
                    "environmental_category": "none-of-these",
                    "nonsense": "x",
                    "project_name": "ok",
                },
            )
        assert set(refused.value.fields) == {
            "total_investment",
            "floor_area",
            "district",
            "environmental_category",
            "nonsense",
        }
        application.refresh_from_db()
        assert application.answers["project_name"] == FIVE_ITEM_PROJECT["project_name"]

    def test_missing_answers_stop_the_submission(self, applicant, project_package):
        user, enterprise = applicant
        application = start_application(package=project_package, actor=user, enterprise=enterprise)
        with pytest.raises(SheetInvalid) as refused:
            submit_application(application.pk, actor=user)
        assert "project_name" in refused.value.fields
        assert not Item.objects.exists()

    def test_another_enterprise_cannot_touch_the_draft(self, applicant, project_package):
        application = draft_project(applicant, project_package)
        stranger = UserFactory()
        with pytest.raises(NotAllowed):
            save_answers(application.pk, actor=stranger, answers={"project_name": "x"})
        with pytest.raises(NotAllowed):
            submit_application(application.pk, actor=stranger)


class TestParallelReview:
    def test_submitting_creates_every_item_at_once_each_with_its_deadline(
        self, applicant, project_package
    ):
        application = submitted_project(applicant, project_package)
        items = list(application.items.select_related("department"))
        assert [item.department.code for item in items] == [
            "ndrc",
            "planning",
            "construction",
            "ecology",
            "emergency",
        ]
        assert {item.status for item in items} == {ItemStatus.PENDING}
        assert all(item.deadline and item.deadline > item.started_at for item in items)
        assert application.status == ApplicationStatus.IN_REVIEW

    def test_submitting_twice_is_refused_and_changes_nothing(self, applicant, project_package):
        application = submitted_project(applicant, project_package)
        with pytest.raises(Conflict):
            submit_application(application.pk, actor=applicant[0])
        assert application.items.count() == 5

    def test_each_department_receives_only_its_answers(self, applicant, project_package):
        from approvals.sheet import answers_for

        application = submitted_project(applicant, project_package)
        fire = application.items.get(item_type__code="fire-design-review")
        assert set(answers_for(fire.item_type, application.answers)) == {
            "project_name",
            "floor_area",
            "hazardous_chemicals",
        }

    def test_approved_when_every_department_approves_with_a_permit_each(
        self, applicant, project_package
    ):
        application = submitted_project(applicant, project_package)
        for item in application.items.select_related("department"):
            official = officials_for(item.department.code)
            approve_item(item.pk, actor=official)
            application.refresh_from_db()
        assert application.status == ApplicationStatus.APPROVED
        assert Permit.objects.filter(item__application=application).count() == 5
        assert Notification.objects.filter(recipient=applicant[0], kind="approval.decided")

    def test_an_official_of_another_department_or_district_cannot_act(
        self, applicant, project_package
    ):
        application = submitted_project(applicant, project_package)
        filing = application.items.get(item_type__code="project-filing")
        for outsider in (
            officials_for("planning"),
            officials_for("ndrc", "binjiang"),
            applicant[0],
        ):
            with pytest.raises(NotAllowed):
                approve_item(filing.pk, actor=outsider)
        filing.refresh_from_db()
        assert filing.status == ItemStatus.PENDING
        # A district official of the project's district may.
        approve_item(filing.pk, actor=officials_for("ndrc", "xihu"))

    def test_approving_an_item_that_is_not_pending_is_refused(self, applicant, project_package):
        application = submitted_project(applicant, project_package)
        filing = application.items.get(item_type__code="project-filing")
        official = officials_for("ndrc")
        approve_item(filing.pk, actor=official)
        with pytest.raises(Conflict):
            approve_item(filing.pk, actor=official)
        with pytest.raises(Conflict):
            reject_item(filing.pk, actor=official, reasons="too late")
        assert Permit.objects.filter(item=filing).count() == 1

    def test_a_rejection_shows_what_to_fix_and_a_resubmission_reopens_it(
        self, applicant, project_package
    ):
        application = submitted_project(applicant, project_package)
        planning = application.items.get(item_type__code="planning-permit")
        official = officials_for("planning")
        with pytest.raises(ApprovalRefused):
            reject_item(planning.pk, actor=official, reasons="  ")
        reject_item(planning.pk, actor=official, reasons="容积率超过规划条件")
        for item in application.items.exclude(pk=planning.pk).select_related("department"):
            approve_item(item.pk, actor=officials_for(item.department.code))
        application.refresh_from_db()
        assert application.status == ApplicationStatus.REJECTED
        assert planning.messages.get().body == "容积率超过规划条件"
        resubmit_item(planning.pk, actor=applicant[0], message="已调整容积率")
        application.refresh_from_db()
        assert application.status == ApplicationStatus.IN_REVIEW
        approve_item(planning.pk, actor=official)
        application.refresh_from_db()
        assert application.status == ApplicationStatus.APPROVED

    def test_assignment_stays_within_the_department_and_is_audited(
        self, applicant, project_package
    ):
        application = submitted_project(applicant, project_package)
        filing = application.items.get(item_type__code="project-filing")
        lead, colleague = officials_for("ndrc"), officials_for("ndrc", "xihu")
        assign_item(filing.pk, actor=lead, assignee=colleague)
        with pytest.raises(ApprovalRefused):
            assign_item(filing.pk, actor=lead, assignee=officials_for("planning"))
        filing.refresh_from_db()
        assert filing.assigned_to == colleague
        assert (
            AuditEvent.objects.filter(
                action="approvals.item.assigned", object_id=str(filing.pk)
            ).count()
            == 1
        )


class TestSupplementAndClock:
    def test_a_supplement_stops_the_clock_until_the_answer(self, applicant, project_package):
        application = submitted_project(applicant, project_package)
        eia = application.items.get(item_type__code="eia-approval")  # 2 working days
        # Rewrite the history: started Tuesday 9:00, paused Tuesday 10:00 to Thursday 10:00.
        Item.objects.filter(pk=eia.pk).update(started_at=TUESDAY_9AM)
        official = officials_for("ecology")
        request_supplement(eia.pk, actor=official, message="请补充危废处置协议")
        eia.refresh_from_db()
        assert eia.status == ItemStatus.SUPPLEMENT and eia.deadline is None
        with pytest.raises(Conflict):  # only a rejected item is resubmitted
            resubmit_item(eia.pk, actor=applicant[0], message="x")
        eia.pauses.update(started_at=TUESDAY_9AM + timedelta(hours=1), ended_at=None)
        answer_supplement(eia.pk, actor=applicant[0], message="已上传协议")
        eia.refresh_from_db()
        pause = eia.pauses.get()
        eia.pauses.update(ended_at=pause.started_at + timedelta(days=2))
        clock = read_clock(eia, now=datetime(2026, 11, 26, 11, 0, tzinfo=SHANGHAI))
        # Worked: Tue 9-10 (1 h) + Thu 10-11 (1 h) = 2 h of the 14 h limit.
        assert clock.elapsed_seconds == 2 * 3600
        assert clock.remaining_seconds == 12 * 3600
        assert eia.status == ItemStatus.PENDING

    def test_a_hearing_pauses_the_clock_and_resuming_moves_the_deadline(
        self, applicant, project_package
    ):
        application = submitted_project(applicant, project_package)
        eia = application.items.get(item_type__code="eia-approval")
        ecology = officials_for("ecology")
        with pytest.raises(ApprovalRefused):
            pause_clock(eia.pk, actor=ecology, reason="supplement", note="x")
        with pytest.raises(NotAllowed):
            pause_clock(eia.pk, actor=officials_for("ndrc"), reason="hearing", note="x")
        pause_clock(eia.pk, actor=ecology, reason="hearing", note="申请人要求听证")
        eia.refresh_from_db()
        assert eia.deadline is None and eia.status == ItemStatus.PENDING
        with pytest.raises(Conflict):
            pause_clock(eia.pk, actor=ecology, reason="expert_review", note="x")
        # The hearing took Tuesday 10:00 to Wednesday 10:00 of a clock started Tuesday 9:00.
        Item.objects.filter(pk=eia.pk).update(started_at=TUESDAY_9AM)
        eia.pauses.update(started_at=TUESDAY_9AM + timedelta(hours=1))
        resume_clock(eia.pk, actor=ecology)
        eia.pauses.update(ended_at=TUESDAY_9AM + timedelta(days=1, hours=1))
        eia.refresh_from_db()
        clock = read_clock(eia, now=datetime(2026, 11, 25, 11, 0, tzinfo=SHANGHAI))
        assert clock.elapsed_seconds == 2 * 3600  # Tue 9-10 and Wed 10-11
        with pytest.raises(Conflict):
            resume_clock(eia.pk, actor=ecology)

    def test_a_supplement_answer_is_only_possible_when_asked(self, applicant, project_package):
        application = submitted_project(applicant, project_package)
        filing = application.items.get(item_type__code="project-filing")
        with pytest.raises(Conflict):
            answer_supplement(filing.pk, actor=applicant[0], message="unasked")
        reject_item(filing.pk, actor=officials_for("ndrc"), reasons="不符合产业政策")
        with pytest.raises(Conflict):  # a supplement after rejection
            request_supplement(filing.pk, actor=officials_for("ndrc"), message="x")
        assert not filing.pauses.exists()

    def test_warnings_and_escalation_are_sent_once(self, applicant, project_package):
        application = submitted_project(applicant, project_package)
        supervisor = officials_for("ndrc")
        supervisor.is_supervisor = True
        supervisor.save()
        filing = application.items.get(item_type__code="project-filing")  # 4 working hours
        Item.objects.filter(application=application).update(started_at=TUESDAY_9AM)
        at_80 = datetime(2026, 11, 24, 13, 45, tzinfo=SHANGHAI)  # 3 h 15 min worked
        first = watch_deadlines(now=at_80)
        again = watch_deadlines(now=at_80 + timedelta(minutes=5))
        assert first["warned"] >= 1 and again == {"warned": 0, "escalated": 0}
        filing.refresh_from_db()
        assert filing.warned_at is not None and filing.escalated_at is None
        late = datetime(2026, 11, 24, 15, 0, tzinfo=SHANGHAI)  # 4.5 h worked
        assert watch_deadlines(now=late)["escalated"] >= 1
        assert watch_deadlines(now=late)["escalated"] == 0
        # Told once each of the 80 % warning and the escalation (they joined after submission).
        told = Notification.objects.filter(
            recipient=supervisor, kind="approval.deadline", link=f"/approvals/review/{filing.pk}/"
        )
        assert told.count() == 2
        assert (
            AuditEvent.objects.filter(
                action="approvals.item.escalated", object_id=str(filing.pk)
            ).count()
            == 1
        )


class TestEstablishment:
    def test_a_clean_application_ends_with_a_registered_enterprise(
        self, establishment_package, django_capture_on_commit_callbacks
    ):
        founder = UserFactory()
        application = start_application(package=establishment_package, actor=founder)
        save_answers(application.pk, actor=founder, answers=ESTABLISHMENT)
        with django_capture_on_commit_callbacks(execute=True):  # the automatic decisions
            submit_application(application.pk, actor=founder)
        application.refresh_from_db()
        assert application.status == ApplicationStatus.APPROVED
        assert application.items.filter(status=ItemStatus.APPROVED).count() == 6
        enterprise = Enterprise.objects.get(name=ESTABLISHMENT["enterprise_name"])
        assert is_valid_uscc(enterprise.uscc) and enterprise.uscc[2:8] == "330108"
        assert enterprise == application.created_enterprise
        membership = EnterpriseMembership.objects.get(enterprise=enterprise)
        assert membership.user == founder and membership.role == MemberRole.LEGAL_REPRESENTATIVE
        assert enterprise.district.code == "binjiang" and enterprise.industry_section == "I"

    def test_a_taken_name_is_refused_before_anything_is_created(
        self, establishment_package, applicant
    ):
        taken = applicant[1].name
        founder = UserFactory()
        application = start_application(package=establishment_package, actor=founder)
        save_answers(
            application.pk, actor=founder, answers={**ESTABLISHMENT, "enterprise_name": taken}
        )
        with pytest.raises(SheetInvalid) as refused:
            submit_application(application.pk, actor=founder)
        assert "enterprise_name" in refused.value.fields
        assert not Item.objects.exists()
        assert Application.objects.get(pk=application.pk).status == ApplicationStatus.DRAFT

    def test_officials_cannot_apply(self, establishment_package):
        with pytest.raises(NotAllowed):
            start_application(package=establishment_package, actor=officials_for("market"))


def test_withdrawing_closes_the_open_items(applicant, project_package):
    application = submitted_project(applicant, project_package)
    withdraw_application(application.pk, actor=applicant[0])
    assert set(application.items.values_list("status", flat=True)) == {ItemStatus.WITHDRAWN}
    with pytest.raises(Conflict):
        withdraw_application(application.pk, actor=applicant[0])


def test_a_notification_is_written_in_the_recipients_language_not_the_officials(
    applicant, project_package
):
    """The rejecting official works in English; the applicant reads the site's language."""
    from django.conf import settings
    from django.utils import translation

    application = submitted_project(applicant, project_package)
    planning = application.items.get(item_type__code="planning-permit")
    with translation.override("en"):
        reject_item(planning.pk, actor=officials_for("planning"), reasons="容积率超标")
    title = Notification.objects.get(recipient=applicant[0], kind="approval.decided").title
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert title == "建设工程规划许可证不予批准：容积率超标"


def test_an_issued_code_already_in_the_register_is_stepped_over(establishment_package):
    """Demo enterprises share the MA range: the code the application's id gives is taken."""
    from qinqing.identifiers import new_uscc
    from tests.factories import EnterpriseFactory

    founder = UserFactory()
    application = start_application(package=establishment_package, actor=founder)
    save_answers(application.pk, actor=founder, answers=ESTABLISHMENT)
    application.refresh_from_db()
    taken = new_uscc("330108", f"MA{application.pk:06d}")
    EnterpriseFactory(uscc=taken)
    issued = issue_uscc(application)
    assert issued != taken and is_valid_uscc(issued) and issued[2:10] == "330108MA"
