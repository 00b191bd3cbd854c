"""Credit repair (信用修复): an enterprise applies to repair a negative record once the
record's minimum period (MIN_REPAIR_MONTHS, by severity) has passed, with evidence of the
correction and a new commitment; an official of the record's department decides. An
approved repair ends the record's effect and publicity (status "repaired"), recomputes the
grade, re-applies the list rules, and ends a list entry whose rule no longer holds without
the record. Records also expire on their own at the end of their term (daily sweep)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enterprises.selectors import can_edit_enterprise
from qinqing.audit.services import record_event
from qinqing.errors import IllegalTransition
from qinqing.notifications.text import Message
from qinqing.scoping import official_covers
from qinqing.transitions import move

from ..commitments.models import SubjectKind
from ..commitments.services import current_notice, make_commitment
from ..errors import CreditNotAllowed, CreditRefused, refused
from ..grades.scoring import grade_for
from ..grades.selectors import scoring_model_in_force
from ..grades.services import recompute_grade
from ..hub import forget_cached_facts
from ..limits import TEXT_MAX
from ..lists.models import EntryStatus, ListEntry
from ..lists.rules import evaluate
from ..lists.services import active_rules, apply_rules, end_entries, load_facts
from ..records.models import NEGATIVE_KINDS, CreditRecord, RecordStatus, add_months
from ..records.services import lock_enterprise
from ..records.titles import record_title
from .models import MIN_REPAIR_MONTHS, RepairApplication, RepairStatus

# The repair commitment is verified by the record's department within a year.
REPAIR_COMMITMENT_DAYS = 365


def repairable_from(record: CreditRecord) -> date:
    return add_months(record.occurred_on, MIN_REPAIR_MONTHS[record.severity])


def may_decide(user: Any, application: RepairApplication) -> bool:
    """Active officials of the record's department, in the enterprise's district when
    district-scoped."""
    return official_covers(
        user,
        department_id=application.record.department_id,
        district_id=application.enterprise.district_id,
    )


def apply_for_repair(
    record_id: int, *, actor: Any, evidence: str, today: date | None = None
) -> RepairApplication:
    today = today or timezone.localdate()
    evidence = (evidence or "").strip()
    try:
        record = CreditRecord.objects.select_related("enterprise", "department").get(pk=record_id)
    except (CreditRecord.DoesNotExist, ValueError, TypeError):
        raise CreditRefused(_("No such record.")) from None
    if not can_edit_enterprise(actor, record.enterprise):
        raise CreditNotAllowed(
            _("Only the enterprise's own members may apply to repair its records.")
        )
    if not evidence:
        raise refused({"evidence": _("Describe how the conduct was corrected.")})
    if len(evidence) > TEXT_MAX:
        raise refused({"evidence": _("At most %(n)d characters.") % {"n": TEXT_MAX}})
    if record.kind not in NEGATIVE_KINDS:
        raise CreditRefused(_("Only records of untrustworthy conduct are repaired."))
    if record.status != RecordStatus.ACTIVE:
        raise IllegalTransition(_("This record is no longer in effect."))
    earliest = repairable_from(record)
    if today < earliest:
        raise CreditRefused(
            _(
                "A %(severity)s record may be repaired from %(date)s (%(months)d months after it "
                "was recorded)."
            )
            % {
                "severity": record.get_severity_display().lower(),
                "date": earliest.isoformat(),
                "months": MIN_REPAIR_MONTHS[record.severity],
            }
        )
    with transaction.atomic():
        lock_enterprise(record.enterprise_id)
        if RepairApplication.objects.filter(record=record, status=RepairStatus.PENDING).exists():
            raise IllegalTransition(
                _("A repair application for this record is already awaiting a decision.")
            )
        commitment = make_commitment(
            enterprise=record.enterprise,
            accepted_by=actor,
            notice=current_notice("standalone"),
            subject_kind=SubjectKind.STANDALONE,
            subject_ref=f"repair:record:{record.pk}",
            verify_what=Message(
                gettext_lazy("No repetition of the conduct of record {id} ({title})."),
                id=record.pk,
                title=lambda: record_title(record),
            ),
            verify_by=timezone.now() + timedelta(days=REPAIR_COMMITMENT_DAYS),
            department=record.department,
            for_repair=True,
        )
        try:
            with transaction.atomic():
                application = RepairApplication.objects.create(
                    record=record,
                    enterprise=record.enterprise,
                    applicant=actor,
                    evidence=evidence,
                    commitment=commitment,
                )
        except IntegrityError:
            raise IllegalTransition(
                _("A repair application for this record is already awaiting a decision.")
            ) from None
        record_event(
            actor=actor,
            action="credit.repair_applied",
            obj=application,
            after={"record": record.pk, "commitment": commitment.pk},
        )
    return application


def decide_repair(
    application_id: int, *, actor: Any, approve: bool, reason: str = "", today: date | None = None
) -> RepairApplication:
    today = today or timezone.localdate()
    reason = (reason or "").strip()
    if not approve and not reason:
        raise refused({"reason": _("Say why the repair is rejected.")})
    with transaction.atomic():
        try:
            application = (
                RepairApplication.objects.select_for_update(of=("self",))
                .select_related("record", "enterprise")
                .get(pk=application_id)
            )
        except (RepairApplication.DoesNotExist, ValueError, TypeError):
            raise CreditRefused(_("No such repair application.")) from None
        if not may_decide(actor, application):
            raise CreditNotAllowed(
                _("Only officials of the record's department decide on its repair.")
            )
        if application.status != RepairStatus.PENDING:
            raise IllegalTransition(_("This application has already been decided."))
        enterprise = lock_enterprise(application.enterprise_id)
        record = CreditRecord.objects.select_for_update().get(pk=application.record_id)
        move(
            application,
            RepairStatus.APPROVED if approve else RepairStatus.REJECTED,
            actor=actor,
            decided_by=actor,
            decided_at=timezone.now(),
            reason=reason[:TEXT_MAX],
        )
        if approve:
            if record.status == RecordStatus.ACTIVE:  # expired meanwhile: it ended already
                move(record, RecordStatus.REPAIRED, actor=actor)
            cause = f"repair:{application.pk}"
            recompute_grade(enterprise, cause=cause, actor=actor, today=today)
            _end_entries_no_longer_held(enterprise.pk, today, actor)
            apply_rules([enterprise.pk], today=today, actor=actor, cause=cause)
            forget_cached_facts([enterprise.pk])
    return application


def _end_entries_no_longer_held(enterprise_id: int, today: date, actor: Any) -> None:
    """Repair takes the enterprise off a list whose rule no longer holds without the
    repaired record (移出名单), whatever the rule's usual term."""
    rules = {rule.pk: (rule, node) for rule, node in active_rules()}
    current = list(
        ListEntry.objects.select_for_update().filter(
            enterprise_id=enterprise_id, status=EntryStatus.CURRENT, rule__isnull=False
        )
    )
    if not current:
        return
    model = scoring_model_in_force(today)
    facts = load_facts(
        [node for _rule, node in rules.values()],
        [enterprise_id],
        today,
        grade_for(model.base_score, model.thresholds),
    )
    reason = _("Credit repaired: the rule no longer holds.")
    end_entries(
        [
            (entry, reason)
            for entry in current
            if entry.rule_id in rules
            and not evaluate(rules[entry.rule_id][1], facts.of(enterprise_id), today).holds
        ],
        actor=actor,
    )
