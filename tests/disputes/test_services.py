"""Raising, routing, the clock's warnings and escalations, confirming, correcting and
withdrawing a fact dispute, through the services."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from datahub.catalogue import CATALOGUE
from datahub.corrections import period_of
from datahub.fetching.pipeline import fetch_facts
from datahub.models import DataCall, FactCorrection
from datahub.signals import facts_changed
from disputes.models import Dispute, DisputeStatus
from disputes.selectors import claimed_text, held_text
from disputes.services import HELD_PURPOSE, confirm, correct, watch_deadlines, withdraw
from qinqing import errors
from qinqing.audit.models import AuditEvent
from qinqing.events.models import OutboxEvent
from qinqing.notifications.models import Notification
from qinqing.workhours.clock import add_working_time
from tests.factories import OfficialFactory, department

from .conftest import TUESDAY_9AM

PDF = b"%PDF-1.4 evidence"


def _start_at(dispute: Dispute, moment) -> Dispute:
    Dispute.objects.filter(pk=dispute.pk).update(started_at=moment)
    dispute.refresh_from_db()
    return dispute


def test_a_dispute_goes_to_the_department_that_owns_the_fact(raise_one, member, hrss_official):
    dispute = raise_one()
    assert dispute.department.code == CATALOGUE["hrss.insured_employees"].department == "hrss"
    assert dispute.status == DisputeStatus.RAISED
    assert dispute.period == period_of(CATALOGUE["hrss.insured_employees"])
    assert dispute.claimed_value == 12  # typed, shown in each reader's language
    assert dispute.deadline is not None and dispute.deadline > dispute.started_at
    assert Notification.objects.filter(kind="disputes.dispute", recipient=hrss_official).exists()
    told = Notification.objects.get(kind="disputes.dispute", recipient=member)
    # Rendered in each language by the notifications (the zh-Hans text once translated).
    assert dispute.reference in told.title and told.link == f"/disputes/{dispute.pk}/"
    assert AuditEvent.objects.filter(action="disputes.dispute.raised").count() == 1
    tax = raise_one(fact="tax.annual_revenue", value="1,200,000.00")
    assert tax.department.code == "taxation"


def test_a_second_open_dispute_on_the_same_fact_is_refused(raise_one):
    raise_one()
    with pytest.raises(errors.Conflict):
        raise_one(value="13")
    assert Dispute.objects.count() == 1


def test_unknown_fact_a_department_that_does_not_own_it_and_a_value_of_the_wrong_type(raise_one):
    with pytest.raises(errors.Invalid) as unknown:
        raise_one(fact="hrss.shoe_size")
    assert "fact" in unknown.value.fields
    with pytest.raises(errors.Invalid) as not_owner:
        raise_one(department=department("taxation"))
    assert "department" in not_owner.value.fields
    for wrong in ("twelve", "-3", "1.5", ""):
        with pytest.raises(errors.Invalid) as typed:
            raise_one(value=wrong)
        assert "claimed_value" in typed.value.fields
    assert not Dispute.objects.exists()


def test_another_enterprises_fact_is_refused(raise_one, other_member):
    with pytest.raises(errors.NotAllowed):
        raise_one(actor=other_member)
    assert not Dispute.objects.exists()


def test_evidence_is_kept_and_a_fake_file_leaves_nothing_behind(raise_one, private_root):
    dispute = raise_one(files=[SimpleUploadedFile("证明.pdf", PDF)])
    assert dispute.attachments.get().name == "证明.pdf"
    with pytest.raises(errors.Refused):
        raise_one(fact="hrss.new_hires_this_year", value="3",
                  files=[SimpleUploadedFile("virus.pdf", b"MZ\x90\x00")])  # fmt: skip
    assert Dispute.objects.count() == 1
    assert len(list(private_root.rglob("*.pdf"))) == 1


def test_warning_at_80_percent_and_escalation_each_happen_once(raise_one, hrss_official):
    supervisor = OfficialFactory(department=department("hrss"), district=None, is_supervisor=True)
    dispute = _start_at(raise_one(), TUESDAY_9AM)
    limit = dispute.limit_hours * 3600
    at_85 = add_working_time(TUESDAY_9AM, int(limit * 0.85))
    after = add_working_time(TUESDAY_9AM, limit + 60)
    Notification.objects.all().delete()
    assert watch_deadlines(TUESDAY_9AM + timedelta(minutes=5)) == {"warned": 0, "escalated": 0}
    assert watch_deadlines(at_85) == {"warned": 1, "escalated": 0}
    assert watch_deadlines(at_85) == {"warned": 0, "escalated": 0}
    assert watch_deadlines(after) == {"warned": 0, "escalated": 1}
    assert watch_deadlines(after + timedelta(days=3)) == {"warned": 0, "escalated": 0}
    assert Notification.objects.filter(kind="disputes.deadline", recipient=hrss_official).exists()
    assert Notification.objects.filter(kind="disputes.deadline", recipient=supervisor).exists()
    assert AuditEvent.objects.filter(action="disputes.dispute.escalated").count() == 1
    dispute.refresh_from_db()
    assert dispute.warned_at and dispute.escalated_at


def test_a_decided_dispute_is_off_the_clock(raise_one, hrss_official):
    dispute = _start_at(raise_one(), TUESDAY_9AM)
    confirm(dispute.pk, actor=hrss_official, reason="社保记录核实无误。")
    assert watch_deadlines(TUESDAY_9AM + timedelta(days=30)) == {"warned": 0, "escalated": 0}


def test_confirming_keeps_the_fact_and_tells_the_enterprise(raise_one, hrss_official, member):
    dispute = raise_one()
    confirm(dispute.pk, actor=hrss_official, reason="社保记录核实无误。")
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.CONFIRMED and dispute.deadline is None
    assert dispute.decided_by == hrss_official and dispute.reason == "社保记录核实无误。"
    assert not FactCorrection.objects.exists()
    assert Notification.objects.filter(recipient=member, kind="disputes.dispute").count() == 2
    assert OutboxEvent.objects.filter(event_type="dispute.decided").count() == 1
    with pytest.raises(errors.IllegalTransition):
        correct(dispute.pk, actor=hrss_official, value="12", reason="改")


def test_correcting_writes_the_hubs_answer_and_signals_on_commit(
    raise_one, hrss_official, enterprise, django_capture_on_commit_callbacks
):
    dispute = raise_one()
    heard = []

    def receiver(sender, **kwargs):
        heard.append(kwargs)

    facts_changed.connect(receiver, dispatch_uid="test-disputes")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            correct(dispute.pk, actor=hrss_official, value="12", reason="补录了漏报的6人。")
    finally:
        facts_changed.disconnect(dispatch_uid="test-disputes")
    assert [(h["enterprise_ids"], h["facts"], h["cause"]) for h in heard] == [
        ([enterprise.pk], ["hrss.insured_employees"], "correction")
    ]
    correction = FactCorrection.objects.get()
    assert (correction.value, correction.period) == (12, dispute.period)
    assert correction.dispute_reference == dispute.reference
    assert correction.corrected_by == hrss_official
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.CORRECTED and dispute.corrected_value == 12


def test_a_correction_of_the_wrong_type_writes_nothing(raise_one, hrss_official):
    dispute = raise_one()
    with pytest.raises(errors.Invalid):
        correct(dispute.pk, actor=hrss_official, value="十二", reason="改")
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RAISED and not FactCorrection.objects.exists()


def test_only_the_owning_departments_official_decides(raise_one, tax_official, member):
    dispute = raise_one()
    for outsider in (tax_official, member):
        with pytest.raises(errors.NotAllowed):
            correct(dispute.pk, actor=outsider, value="12", reason="改")
        with pytest.raises(errors.NotAllowed):
            confirm(dispute.pk, actor=outsider, reason="无误")
    assert not FactCorrection.objects.exists()


def test_the_enterprise_withdraws_and_the_department_cannot_decide_after(
    raise_one, member, hrss_official, other_member
):
    dispute = raise_one()
    with pytest.raises(errors.NotAllowed):
        withdraw(dispute.pk, actor=other_member)
    withdraw(dispute.pk, actor=member)
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.WITHDRAWN and dispute.withdrawn_at
    with pytest.raises(errors.IllegalTransition):
        confirm(dispute.pk, actor=hrss_official, reason="无误")


def test_a_dispute_raised_without_a_claim_holds_the_hubs_value_and_reads_in_each_language(
    raise_one, hrss_official
):
    """From the calculator or the data-access log no claim says what the department holds:
    the hub's value is read (with its purpose) for the official to weigh; and the value the
    enterprise gives is stored typed, so an English reader does not get the raiser's 人."""
    dispute = raise_one(value="1200", origin="calculator")
    hub = fetch_facts(dispute.enterprise, ["hrss.insured_employees"], purpose="test")
    assert dispute.held_value == hub["hrss.insured_employees"].value is not None
    assert DataCall.objects.filter(purpose=HELD_PURPOSE).exists()
    with translation.override("en"):
        assert claimed_text(dispute) == "1,200 persons"
        assert held_text(dispute)
    with translation.override("zh-hans"):
        assert claimed_text(dispute) == "1,200 人"
