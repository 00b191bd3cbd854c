"""Every change to an application or an item: checked, locked, audited, one transaction.

Lock order is always application row first, then its items, so two departments deciding
two items of one application at the same instant queue on the application row: the last
one to commit sees every other decision and settles the application exactly once.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from accounts.selectors import officials_of, supervisors_of
from datahub.fetch import fetch_facts
from departments.models import District
from enterprises.models import Enterprise, EnterpriseMembership
from enterprises.services import register_enterprise
from qinqing.audit.services import record_event
from qinqing.audit.transitions import change_status, jsonable
from qinqing.identifiers import make_uscc
from qinqing.notifications.services import notify
from qinqing.notifications.text import Message
from qinqing.workhours import deadlines
from qinqing.workhours.clock import TimeLimit, add_working_time, reading

from . import events, sheet
from .models import (
    APPROVED_STATES,
    ITEM_TRANSITIONS,
    OPEN_STATES,
    Application,
    ApplicationStatus,
    AutoCheck,
    Item,
    ItemMessage,
    ItemPause,
    ItemStatus,
    MessageKind,
    PackageKind,
    PauseReason,
    Permit,
    ServicePackage,
)

logger = logging.getLogger(__name__)
S = ItemStatus
MESSAGE_MAX = 2000
CREDIT_FACTS = ["credit.black_list", "credit.grade"]
# The lowest grade may not use the commitment route (nor may a black-listed enterprise).
LOWEST_GRADE = "D"


class ApprovalRefused(Exception):
    """The action cannot be done: the message says why, for the person asking (400)."""


class NotAllowed(ApprovalRefused):
    """This person may not act on this application or item (403)."""


class ApprovalConflict(ApprovalRefused):
    """The application or item is not in a state that allows this (409)."""


class SheetInvalid(ApprovalRefused):
    """Answers that do not fit the sheet, field by field (400)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(_("Some answers need correcting."))
        self.errors = errors


# --- who may act -----------------------------------------------------------------------


def is_applicant_side(user: Any, application: Application) -> bool:
    if not getattr(user, "is_authenticated", False) or user.role != Role.ENTERPRISE:
        return False
    if application.applicant_id == user.pk:
        return True
    return (
        application.enterprise_id is not None
        and EnterpriseMembership.objects.filter(
            enterprise_id=application.enterprise_id, user=user
        ).exists()
    )


def is_item_official(user: Any, item: Item) -> bool:
    """An official of the item's department, and of its district when they have one."""
    return (
        getattr(user, "is_authenticated", False)
        and user.role == Role.OFFICIAL
        and user.department_id == item.department_id
        and (user.district_id is None or user.district_id == item.district_id)
    )


def _require_applicant(user: Any, application: Application) -> None:
    if not is_applicant_side(user, application):
        raise NotAllowed(_("Only the applicant or the enterprise's members may do this."))


def _require_official(user: Any, item: Item) -> None:
    if not is_item_official(user, item):
        raise NotAllowed(_("Only an official of the item's department and district may do this."))


def _short_text(text: str, *, what: str, required: bool = True) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ApprovalRefused(
            _("Write the %(what)s: the other side will read it.") % {"what": what}
        )
    if len(text) > MESSAGE_MAX:
        raise ApprovalRefused(_("At most %(max)d characters.") % {"max": MESSAGE_MAX})
    return text


# --- locking and the state machine ------------------------------------------------------


def _locked_application(application_id: int) -> Application:
    try:
        return (
            Application.objects.select_for_update(of=("self",))
            .select_related("package")
            .get(pk=application_id)
        )
    except Application.DoesNotExist:
        raise ApprovalRefused(_("There is no such application.")) from None


def _locked_item(item_id: int) -> Item:
    """The item and its application, locked in the one order every service uses."""
    application_id = Item.objects.filter(pk=item_id).values_list("application_id", flat=True)
    application_id = application_id.first()
    if application_id is None:
        raise ApprovalRefused(_("There is no such item."))
    application = _locked_application(application_id)
    item = (
        Item.objects.select_for_update(of=("self",))
        .select_related("item_type", "department")
        .get(pk=item_id)
    )
    item.application = application
    return item


def move_item(item: Item, to: str, actor: Any, **changes: Any) -> Item:
    """The one place an item's status changes."""
    moved = change_status(
        item,
        to,
        table=ITEM_TRANSITIONS,
        actor=actor,
        action_prefix="approvals.item",
        refusal=lambda here: ApprovalConflict(
            _("This item is %(status)s; that cannot be done now.")
            % {"status": ItemStatus(here).label}
        ),
        **changes,
    )
    events.item_moved(moved, to)  # approval.decided for partners, in this transaction
    return moved


def _settle(application: Application, actor: Any) -> Application:
    """Recompute the application's status from its items (under its lock)."""
    statuses = set(application.items.values_list("status", flat=True))
    if not statuses or application.status in (ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN):
        return application
    if S.REVOKED in statuses:
        target = ApplicationStatus.REVOKED
    elif statuses <= APPROVED_STATES:
        target = ApplicationStatus.APPROVED
    elif S.REJECTED in statuses and not statuses & OPEN_STATES:
        target = ApplicationStatus.REJECTED
    else:
        target = ApplicationStatus.IN_REVIEW
    if target == application.status:
        return application
    before = {"status": application.status}
    application.status = target
    application.decided_at = timezone.now() if target != ApplicationStatus.IN_REVIEW else None
    application.save(update_fields=["status", "decided_at", "updated_at"])
    record_event(
        actor=actor,
        action=f"approvals.application.{target}",
        obj=application,
        before=before,
        after={"status": target},
    )
    if (
        target == ApplicationStatus.APPROVED
        and application.package.kind == PackageKind.ESTABLISHMENT
    ):
        _register_new_enterprise(application, actor)
    _tell_applicant_side(application, target)
    return application


# --- the clock ------------------------------------------------------------------------


def item_limit(item: Item) -> TimeLimit:
    return TimeLimit(item.limit_amount, item.limit_unit)


def item_pauses(item: Item) -> list[tuple[datetime, datetime | None]]:
    if item.pk is None:  # not saved yet: no pauses
        return []
    return [(pause.started_at, pause.ended_at) for pause in item.pauses.all()]


def item_clock(item: Item, now: datetime | None = None):
    """Where the item stands against its limit (a qinqing.workhours ClockReading)."""
    return reading(item.started_at, item_limit(item), item_pauses(item), now=now)


def _refresh_deadline(item: Item) -> None:
    item.deadline = item_clock(item).deadline
    item.save(update_fields=["deadline"])


# --- the sheet --------------------------------------------------------------------------


def _reference(package: ServicePackage) -> str:
    prefix = "QY" if package.kind == PackageKind.ESTABLISHMENT else "XM"
    return f"{prefix}{timezone.localdate():%Y%m%d}{secrets.token_hex(3).upper()}"


def prefill_values(
    package: ServicePackage, enterprise: Enterprise | None, actor: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Answers the register and the departments already know, with where each came from.
    Read before any transaction: it calls the departments."""
    if enterprise is None:
        return {}, {}
    answers: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    fields = sheet.fields_of(package)
    register = {
        "name": enterprise.name,
        "district": enterprise.district.code,
        "industry_division": enterprise.industry_division,
        "registered_capital": str(enterprise.registered_capital),
    }
    for field in fields:
        if field.register_field and field.register_field in register:
            answers[field.key] = register[field.register_field]
            sources[field.key] = {"source": "register", "value": answers[field.key]}
    facts_wanted = {field.hub_fact: field for field in fields if field.hub_fact}
    if facts_wanted:
        try:
            found = fetch_facts(
                enterprise,
                sorted(facts_wanted),
                requested_by=actor,
                purpose=f"approvals.{package.code} prefill",
            )
        except Exception:  # an outage only means the applicant types the answer
            logger.warning(
                "prefill of %s for %s failed", package.code, enterprise.uscc, exc_info=True
            )
            return answers, sources
        for name, field in facts_wanted.items():
            fact = found.facts.get(name)
            if fact is None or not fact.known or fact.value is None:
                continue
            try:
                value = sheet.clean_value(field, fact.value)
            except ValueError:
                continue
            answers[field.key] = value
            sources[field.key] = {
                "source": "hub",
                "fact": name,
                "department": fact.department,
                "value": value,
                "fetched_at": fact.fetched_at.isoformat() if fact.fetched_at else None,
            }
    return answers, sources


def start_application(
    *, package: ServicePackage, actor: Any, enterprise: Enterprise | None = None
) -> Application:
    """A draft, prefilled. Establishment drafts belong to the person; project drafts to an
    enterprise the person acts for."""
    if not package.active:
        raise ApprovalRefused(_("This service package is not open for applications."))
    if not getattr(actor, "is_authenticated", False) or actor.role != Role.ENTERPRISE:
        raise NotAllowed(_("Applications are made by enterprise users."))
    if package.kind == PackageKind.ESTABLISHMENT:
        enterprise = None
    elif (
        enterprise is None
        or not EnterpriseMembership.objects.filter(enterprise=enterprise, user=actor).exists()
    ):
        raise NotAllowed(_("Only the enterprise's own members may apply for it."))
    elif not enterprise.is_in_business:
        raise ApprovalRefused(_("The enterprise is not in business according to the register."))
    answers, sources = prefill_values(package, enterprise, actor)
    with transaction.atomic():
        application = Application.objects.create(
            package=package,
            enterprise=enterprise,
            applicant=actor,
            answers=answers,
            prefill=sources,
            reference=_reference(package),
        )
        _apply_derived_fields(application)
        application.save()
        record_event(
            actor=actor,
            action="approvals.application.started",
            obj=application,
            after={"package": package.code},
        )
    return application


def _apply_derived_fields(application: Application) -> None:
    answers = application.answers
    title_key = "project_name" if "project_name" in answers else "enterprise_name"
    application.title = str(answers.get(title_key) or "")[:200]
    code = answers.get("district")
    application.district = District.objects.filter(code=code).first() if code else None
    application.industry_division = str(answers.get("industry_division") or "")[:2]


def save_answers(
    application_id: int,
    *,
    actor: Any,
    answers: Mapping[str, Any],
    disputes: Mapping[str, str] | None = None,
) -> Application:
    """Save part or all of a draft. `disputes` says a prefilled answer is wrong (field key →
    the applicant's note): the answer stays editable and the note goes with the item."""
    with transaction.atomic():
        application = _locked_application(application_id)
        _require_applicant(actor, application)
        if application.status != ApplicationStatus.DRAFT:
            raise ApprovalConflict(_("Only a draft can be changed; this one was submitted."))
        values, errors = sheet.clean_answers(application.package, answers)
        for key, note in (disputes or {}).items():
            if key not in application.prefill:
                errors.setdefault(key, []).append(_("This answer was not prefilled."))
            elif len(str(note)) > 500:
                errors.setdefault(key, []).append(_("At most %(max)d characters.") % {"max": 500})
        if errors:
            raise SheetInvalid(errors)
        before = dict(application.answers)
        application.answers = {**application.answers, **values}
        for key, note in (disputes or {}).items():
            application.prefill[key] = {
                **application.prefill[key],
                "disputed": True,
                "note": str(note).strip(),
            }
        _apply_derived_fields(application)
        application.save()
        changed = {k: v for k, v in application.answers.items() if before.get(k) != v}
        if changed or disputes:
            record_event(
                actor=actor,
                action="approvals.application.answers_saved",
                obj=application,
                after={"changed": sorted(changed), "disputed": sorted(disputes or {})},
            )
    return application


def review_sheet(application: Application) -> dict[str, Any]:
    """What the applicant checks before submitting: missing answers and the items the rules
    will create."""
    fields = sheet.fields_of(application.package)
    return {
        "missing": sheet.missing_answers(fields, application.answers),
        "progress": sheet.progress(fields, application.answers),
        "item_types": sheet.needed_item_types(application.package, application.answers),
    }


def _credit_route_refusal(enterprise: Enterprise | None, actor: Any, purpose: str) -> str | None:
    """Why the enterprise may not approve on commitment, or None. Read from the hub's credit
    facts, outside any transaction."""
    if enterprise is None:
        return None
    found = fetch_facts(enterprise, CREDIT_FACTS, purpose=purpose, requested_by=actor)
    black, grade = found.facts["credit.black_list"], found.facts["credit.grade"]
    if not (black.known and grade.known):
        return _(
            "Your credit standing cannot be read from the departments right now; "
            "wait for the review or try the commitment route again later."
        )
    if black.value:
        return _(
            "Enterprises on the black list of untrustworthy entities cannot approve on commitment."
        )
    if grade.value == LOWEST_GRADE:
        return _("Enterprises with credit grade D cannot approve on commitment.")
    return None


def submit_application(
    application_id: int, *, actor: Any, on_commitment: bool = False
) -> Application:
    """Creates one item per needed item type, all at once, each with its department's clock
    running. With `on_commitment`, every item that allows it is approved at once on the
    enterprise's signed commitment."""
    application = Application.objects.select_related("package", "enterprise").get(pk=application_id)
    refusal = None
    if on_commitment:
        refusal = _credit_route_refusal(
            application.enterprise,
            actor,
            f"approvals.application:{application_id} commitment route",
        )
    with transaction.atomic():
        application = _locked_application(application_id)
        _require_applicant(actor, application)
        if application.status != ApplicationStatus.DRAFT:
            raise ApprovalConflict(_("This application has already been submitted."))
        if refusal:
            raise ApprovalRefused(refusal)
        fields = sheet.fields_of(application.package)
        values, errors = sheet.clean_answers(
            application.package, application.answers, fields=fields
        )
        errors.update(sheet.missing_answers(fields, values))
        if errors:
            raise SheetInvalid(errors)
        types = sheet.needed_item_types(application.package, values)
        if not types:
            raise ApprovalRefused(_("These answers call for no permit: nothing to submit."))
        if (
            application.package.kind == PackageKind.ESTABLISHMENT
            and Enterprise.objects.filter(name=values.get("enterprise_name")).exists()
        ):
            raise SheetInvalid(
                {"enterprise_name": [_("An enterprise of this name is already registered.")]}
            )
        now = timezone.now()
        items = [
            Item(
                application=application,
                item_type=item_type,
                department=item_type.department,
                district=application.district,
                started_at=now,
                limit_amount=item_type.limit_amount,
                limit_unit=item_type.limit_unit,
            )
            for item_type in types
        ]
        for item in items:
            item.deadline = item_clock(item, now).deadline
        Item.objects.bulk_create(items)
        items = list(application.items.select_related("item_type", "department"))
        application.status = ApplicationStatus.IN_REVIEW
        application.submitted_at = now
        application.save(update_fields=["status", "submitted_at", "updated_at"])
        record_event(
            actor=actor,
            action="approvals.application.submitted",
            obj=application,
            after={"items": [item.item_type.code for item in items]},
        )
        if on_commitment:
            _commit_items(application, [i for i in items if i.item_type.allows_commitment], actor)
            _settle(application, actor)
        _tell_departments(items)
        automatic = [i.pk for i in items if i.item_type.auto_check and i.status == S.PENDING]
        if automatic:
            # Robust: with the broker down the application is submitted all the same; an
            # item whose automatic check was never queued waits for its official.
            transaction.on_commit(lambda: _enqueue_auto_decisions(automatic), robust=True)
    return application


def _enqueue_auto_decisions(item_ids: list[int]) -> None:
    from .tasks import auto_decide_item

    delay = getattr(settings, "APPROVALS_AUTO_DECISION_DELAY_SECONDS", 0)
    for item_id in item_ids:
        auto_decide_item.apply_async((item_id,), countdown=delay or None)


def withdraw_application(application_id: int, *, actor: Any) -> Application:
    with transaction.atomic():
        application = _locked_application(application_id)
        _require_applicant(actor, application)
        if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.IN_REVIEW):
            raise ApprovalConflict(_("Only a draft or an application in review can be withdrawn."))
        for item in application.items.select_for_update().filter(status__in=OPEN_STATES):
            _close_pause(item)
            move_item(item, S.WITHDRAWN, actor, deadline=None)
        before = {"status": application.status}
        application.status = ApplicationStatus.WITHDRAWN
        application.save(update_fields=["status", "updated_at"])
        record_event(
            actor=actor,
            action="approvals.application.withdrawn",
            obj=application,
            before=before,
            after={"status": application.status},
        )
    return application


# --- officials' decisions ----------------------------------------------------------------


def _issue_permit(item: Item) -> Permit:
    year = timezone.localdate().year
    for _attempt in range(5):
        try:
            with transaction.atomic():
                permit = Permit.objects.create(
                    item=item,
                    number=f"{item.item_type.permit_prefix}-{year}-{item.pk:07d}",
                    verification_code=secrets.token_hex(5).upper(),
                )
                events.permit_issued(permit)  # rolls back with the permit if drawn again
                return permit
        except IntegrityError:  # a code already taken (1 in 10^12): draw again
            if Permit.objects.filter(item=item).exists():
                return item.permit
    raise RuntimeError("could not draw a free permit verification code")


def approve_item(item_id: int, *, actor: Any, note: str = "") -> Item:
    with transaction.atomic():
        item = _locked_item(item_id)
        _require_official(actor, item)
        note = _short_text(note, what=_("note"), required=False)
        _close_pause(item)
        move_item(
            item, S.APPROVED, actor, decided_at=timezone.now(), decided_by=actor, decision_note=note
        )
        _issue_permit(item)
        _settle(item.application, actor)
    return item


def reject_item(item_id: int, *, actor: Any, reasons: str) -> Item:
    with transaction.atomic():
        item = _locked_item(item_id)
        _require_official(actor, item)
        reasons = _short_text(reasons, what=_("reasons for the rejection"))
        _close_pause(item)
        move_item(
            item,
            S.REJECTED,
            actor,
            decided_at=timezone.now(),
            decided_by=actor,
            decision_note=reasons,
        )
        ItemMessage.objects.create(
            item=item, author=actor, kind=MessageKind.REJECTION, body=reasons
        )
        _settle(item.application, actor)
        _tell_applicant(
            item,
            Message(
                gettext_lazy("{item} was rejected: {reasons}"),
                item=item.item_type,
                reasons=reasons,
            ),
        )
    return item


def request_supplement(item_id: int, *, actor: Any, message: str) -> Item:
    """Asks the applicant for more; the item's clock stops until they answer."""
    with transaction.atomic():
        item = _locked_item(item_id)
        _require_official(actor, item)
        message = _short_text(message, what=_("request"))
        move_item(item, S.SUPPLEMENT, actor, deadline=None)
        ItemPause.objects.create(item=item, reason=PauseReason.SUPPLEMENT)
        ItemMessage.objects.create(
            item=item, author=actor, kind=MessageKind.SUPPLEMENT_REQUEST, body=message
        )
        _tell_applicant(
            item,
            Message(
                gettext_lazy("{item}: the department asks for a supplement"),
                item=item.item_type,
            ),
            kind="approval.supplement",
        )
    return item


OFFICIAL_PAUSES = (PauseReason.HEARING, PauseReason.EXPERT_REVIEW)


def pause_clock(item_id: int, *, actor: Any, reason: str, note: str) -> Item:
    """A hearing or an expert review: time the law does not count against the limit. The
    item stays in review; its deadline is unknown until the clock resumes."""
    if reason not in OFFICIAL_PAUSES:
        raise ApprovalRefused(_("Pause the clock for a hearing or an expert review."))
    with transaction.atomic():
        item = _locked_item(item_id)
        _require_official(actor, item)
        if item.status != S.PENDING:
            raise ApprovalConflict(_("Only an item in review can be paused."))
        if item.pauses.filter(ended_at__isnull=True).exists():
            raise ApprovalConflict(_("The clock of this item is already paused."))
        note = _short_text(note, what=_("reason for the pause"))
        ItemPause.objects.create(item=item, reason=reason)
        ItemMessage.objects.create(item=item, author=actor, kind=MessageKind.NOTE, body=note)
        item.deadline = None
        item.save(update_fields=["deadline"])
        record_event(
            actor=actor, action="approvals.item.clock_paused", obj=item, after={"reason": reason}
        )
    return item


def resume_clock(item_id: int, *, actor: Any) -> Item:
    with transaction.atomic():
        item = _locked_item(item_id)
        _require_official(actor, item)
        pause = item.pauses.filter(ended_at__isnull=True, reason__in=OFFICIAL_PAUSES).first()
        if item.status != S.PENDING or pause is None:
            raise ApprovalConflict(
                _("The clock of this item is not paused for a hearing or an expert review.")
            )
        _close_pause(item)
        _refresh_deadline(item)
        record_event(
            actor=actor,
            action="approvals.item.clock_resumed",
            obj=item,
            after={"reason": pause.reason, "deadline": jsonable(item.deadline)},
        )
    return item


def answer_supplement(item_id: int, *, actor: Any, message: str) -> Item:
    with transaction.atomic():
        item = _locked_item(item_id)
        _require_applicant(actor, item.application)
        if item.status != S.SUPPLEMENT:
            raise ApprovalConflict(_("No supplement is awaited on this item."))
        message = _short_text(message, what=_("supplement"))
        ItemMessage.objects.create(
            item=item, author=actor, kind=MessageKind.SUPPLEMENT_ANSWER, body=message
        )
        _close_pause(item)
        move_item(item, S.PENDING, actor)
        _refresh_deadline(item)
    return item


def resubmit_item(item_id: int, *, actor: Any, message: str) -> Item:
    """After a rejection: the applicant says what was fixed; the item is reviewed again on
    a fresh clock."""
    with transaction.atomic():
        item = _locked_item(item_id)
        _require_applicant(actor, item.application)
        if item.status != S.REJECTED:
            raise ApprovalConflict(_("Only a rejected item can be resubmitted."))
        message = _short_text(message, what=_("what you fixed"))
        ItemMessage.objects.create(item=item, author=actor, kind=MessageKind.NOTE, body=message)
        now = timezone.now()
        # Earlier pauses stay on record; the clock ignores those before the restart.
        move_item(
            item,
            S.PENDING,
            actor,
            started_at=now,
            decided_at=None,
            decided_by=None,
            warned_at=None,
            escalated_at=None,
        )
        _refresh_deadline(item)
        _settle(item.application, actor)
    return item


def assign_item(item_id: int, *, actor: Any, assignee: User | None) -> Item:
    with transaction.atomic():
        item = _locked_item(item_id)
        _require_official(actor, item)
        if item.status not in OPEN_STATES:
            raise ApprovalConflict(_("Only an open item can be assigned."))
        if assignee is not None and not is_item_official(assignee, item):
            raise ApprovalRefused(
                _("Assign the item to an official of its department and district.")
            )
        before = {"assigned_to": item.assigned_to_id}
        item.assigned_to = assignee
        item.save(update_fields=["assigned_to"])
        record_event(
            actor=actor,
            action="approvals.item.assigned",
            obj=item,
            before=before,
            after={"assigned_to": assignee.pk if assignee else None},
        )
        if assignee is not None and assignee != actor:
            notify(
                [assignee],
                "approval.deadline",
                gettext_lazy("An approval item was assigned to you"),
                Message("{item}", item=item),
                link=f"/approvals/review/{item.pk}/",
            )
    return item


def _close_pause(item: Item) -> None:
    item.pauses.filter(ended_at__isnull=True).update(ended_at=timezone.now())


# --- approval on commitment -------------------------------------------------------------


def _commit_items(application: Application, items: Iterable[Item], actor: Any) -> list[Item]:
    """Approve each item on a signed commitment (under the application's lock)."""
    from credit.commitments.services import current_notice, make_commitment
    from credit.errors import CreditRefused

    notice = current_notice("approval-item")
    now = timezone.now()
    committed = []
    for item in items:
        verify_by = add_working_time(
            now, TimeLimit(item.item_type.verify_within_days, "days").seconds
        )
        try:
            commitment = make_commitment(
                enterprise=application.enterprise,
                accepted_by=actor,
                notice=notice,
                subject_kind="approval_item",
                subject_ref=f"approvals.item:{item.pk}",
                verify_what=item.item_type.commitment_checks or item.item_type.name,
                verify_by=verify_by,
                department=item.department,
            )
        except CreditRefused as error:  # e.g. black-listed since the hub was read
            raise ApprovalRefused(" ".join(error.messages)) from error
        _close_pause(item)
        move_item(
            item,
            S.COMMITTED,
            actor,
            decided_at=now,
            decided_by=actor,
            commitment_id=commitment.pk,
            verify_by=verify_by,
            deadline=None,
        )
        _issue_permit(item)
        committed.append(item)
    return committed


def approve_on_commitment(
    application_id: int, *, actor: Any, item_ids: Iterable[int] | None = None
) -> list[Item]:
    """The enterprise signs the commitment for open items that allow it; they are approved
    at once and a verification with a deadline goes to each department."""
    application = Application.objects.select_related("enterprise").get(pk=application_id)
    refusal = _credit_route_refusal(
        application.enterprise, actor, f"approvals.application:{application_id} commitment route"
    )
    with transaction.atomic():
        application = _locked_application(application_id)
        _require_applicant(actor, application)
        if refusal:
            raise ApprovalRefused(refusal)
        if application.enterprise_id is None:
            raise ApprovalRefused(_("The commitment route is for registered enterprises."))
        items = application.items.select_for_update().select_related("item_type", "department")
        items = items.filter(status=S.PENDING, item_type__allows_commitment=True)
        if item_ids is not None:
            items = items.filter(pk__in=list(item_ids))
        items = list(items)
        if not items:
            raise ApprovalConflict(
                _("No item of this application can be approved on commitment now.")
            )
        for item in items:
            item.application = application
        committed = _commit_items(application, items, actor)
        _settle(application, actor)
    return committed


def verify_commitment(item_id: int, *, actor: Any, passed: bool, note: str) -> Item:
    """The department's check after the fact. A failure breaches the commitment in credit,
    whose signal revokes the approval (receivers.py) in this same transaction."""
    from django.core.exceptions import PermissionDenied

    from credit.commitments.services import (
        breach_commitment,
        fulfil_commitment,
        start_verification,
    )
    from credit.errors import CreditRefused, IllegalTransition

    with transaction.atomic():
        item = _locked_item(item_id)
        _require_official(actor, item)
        if item.status != S.COMMITTED:
            raise ApprovalConflict(_("This item has no commitment awaiting verification."))
        note = _short_text(note, what=_("verification result"), required=not passed)
        try:
            with contextlib.suppress(IllegalTransition):  # already being verified
                start_verification(item.commitment_id, actor=actor)
            if passed:
                fulfil_commitment(item.commitment_id, actor=actor, note=note)
                move_item(item, S.VERIFIED, actor, decision_note=note)
            else:
                # credit's commitment_breached signal revokes the item (receivers.py).
                breach_commitment(item.commitment_id, actor=actor, reason=note)
        except PermissionDenied as error:
            raise NotAllowed(str(error)) from error
        except CreditRefused as error:
            raise ApprovalRefused(" ".join(error.messages)) from error
    return Item.objects.get(pk=item_id)


def revoke_for_breach(commitment_id: int, *, actor: Any, reason: str) -> Item | None:
    """A breached commitment takes back the approval it bought (idempotent)."""
    item_id = Item.objects.filter(commitment_id=commitment_id).values_list("pk", flat=True).first()
    if item_id is None:
        return None
    with transaction.atomic():
        item = _locked_item(item_id)
        if item.status == S.REVOKED:
            return item
        move_item(item, S.REVOKED, actor, decision_note=reason)
        Permit.objects.filter(item=item, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason=reason
        )
        _settle(item.application, actor)
        _tell_applicant(
            item,
            Message(
                gettext_lazy("{item}: approval revoked, the commitment was not kept: {reason}"),
                item=item.item_type,
                reason=reason,
            ),
        )
    return item


# --- automatic decisions (enterprise establishment) ------------------------------------


def _issue_uscc(application: Application) -> str:
    """`91<district code>MA<7 digits><check>`: the serial starts at the application's id and
    steps on by a prime while a code is already registered (demo data shares the range)."""
    if application.issued_uscc:
        return application.issued_uscc
    division = application.district.admin_code if application.district else "330100"
    for attempt in range(1000):
        serial = (application.pk + attempt * 1_000_003) % 10_000_000
        code = make_uscc(f"{division}MA{serial:07d}")
        if not Enterprise.objects.filter(uscc=code).exists():
            return code
    raise RuntimeError("no free organisation code in this district's range")


def auto_decide(item_id: int) -> Item:
    """Decides an item whose department accepts automatic checks; a failed check leaves it
    to an official, with the reason in the thread."""
    with transaction.atomic():
        item = _locked_item(item_id)
        check = item.item_type.auto_check
        if item.status != S.PENDING or not check:
            return item
        application = item.application
        problem = None
        if (
            check == AutoCheck.NAME_AVAILABLE
            and Enterprise.objects.filter(name=application.answers.get("enterprise_name")).exists()
        ):
            problem = _("The name is already registered.")
        if problem:
            ItemMessage.objects.create(
                item=item,
                author=application.applicant,
                kind=MessageKind.NOTE,
                body=_("Automatic check failed: %(problem)s An official will decide.")
                % {"problem": problem},
            )
            return item
        if check == AutoCheck.ISSUE_USCC:
            application.issued_uscc = _issue_uscc(application)
            application.save(update_fields=["issued_uscc", "updated_at"])
        move_item(
            item,
            S.APPROVED,
            None,
            decided_at=timezone.now(),
            decision_note=str(
                gettext_lazy("Decided automatically: the department's checks passed.")
            ),
        )
        _issue_permit(item)
        _settle(application, None)
    return item


def _register_new_enterprise(application: Application, actor: Any) -> Enterprise:
    answers = application.answers
    enterprise = register_enterprise(
        uscc=application.issued_uscc or _issue_uscc(application),
        name=answers["enterprise_name"],
        district=application.district,
        industry_division=answers["industry_division"],
        registered_capital=Decimal(answers["registered_capital"]),
        legal_representative=answers["legal_representative"],
        founder=application.applicant,
        actor=actor,
    )
    application.created_enterprise = enterprise
    application.enterprise = enterprise
    application.save(update_fields=["created_enterprise", "enterprise", "updated_at"])
    return enterprise


# --- notifications and the beat sweep ---------------------------------------------------


def _tell_applicant(item: Item, title: Message, kind: str = "approval.decided") -> None:
    notify([item.application.applicant_id], kind, title, link=f"/approvals/{item.application_id}/")


def _tell_applicant_side(application: Application, status: str) -> None:
    if status in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED):
        notify(
            [application.applicant_id],
            "approval.decided",
            Message(
                gettext_lazy("Application {reference}: {status}"),
                reference=application.reference,
                status=ApplicationStatus(status).label,
            ),
            link=f"/approvals/{application.pk}/",
        )


def _item_officials(item: Item) -> list[int]:
    return list(officials_of(item.department_id, item.district_id).values_list("pk", flat=True))


def _tell_departments(items: list[Item]) -> None:
    for item in items:
        if item.status != S.PENDING or item.item_type.auto_check:
            continue
        users = _item_officials(item)
        if users:
            notify(
                users,
                "approval.deadline",
                Message(gettext_lazy("New approval item: {item}"), item=item.item_type),
                item.application.title,
                link=f"/approvals/review/{item.pk}/",
            )


def watch_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Warns at 80 % of an open item's limit and escalates once it is exceeded, each once
    (qinqing.workhours.deadlines)."""
    open_items = (
        Item.objects.filter(status=S.PENDING)
        .select_related("item_type", "application")
        .prefetch_related("pauses")
    )
    return deadlines.sweep(open_items, clock_of=item_clock, warn=_warn, escalate=_escalate, now=now)


def _warn(item: Item) -> None:
    users = [item.assigned_to_id] if item.assigned_to_id else _item_officials(item)
    record_event(actor=None, action="approvals.item.deadline_warning", obj=item)
    if users:
        notify(
            users,
            "approval.deadline",
            Message(gettext_lazy("80 percent of the time limit used: {item}"), item=item),
            link=f"/approvals/review/{item.pk}/",
        )


def _escalate(item: Item) -> None:
    """Overdue: the department's supervisors (or, without any, its city-wide officials)."""
    supervisors = supervisors_of(item.department_id)
    record_event(
        actor=None, action="approvals.item.escalated", obj=item, after={"told": supervisors}
    )
    if supervisors:
        notify(
            supervisors,
            "approval.deadline",
            Message(gettext_lazy("Overdue approval item: {item}"), item=item),
            link=f"/approvals/review/{item.pk}/",
        )
