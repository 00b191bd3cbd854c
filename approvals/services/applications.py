"""The applicant's side of an application: the prefilled draft, answers, review, submission
and withdrawal."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from datahub.fetching.pipeline import fetch_facts
from departments.models import District
from enterprises.models import Enterprise
from qinqing.audit.services import record_event
from qinqing.scoping import is_active_user, is_member
from qinqing.transitions import move
from qinqing.workhours.case_services import close_pause, read_clock

from .. import sheet
from ..models import (
    OPEN_STATES,
    Application,
    ApplicationStatus,
    Item,
    ItemStatus,
    PackageKind,
    ServicePackage,
)
from .access import require_applicant
from .commitments import commit_items, credit_route_refusal
from .notifications import tell_departments
from .refusals import ApprovalConflict, ApprovalRefused, NotAllowed, SheetInvalid
from .status import locked_application, move_item, settle_application

logger = logging.getLogger(__name__)


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
    if not (is_active_user(actor) and actor.is_enterprise_member):
        raise NotAllowed(_("Applications are made by enterprise users."))
    if package.kind == PackageKind.ESTABLISHMENT:
        enterprise = None
    elif enterprise is None or not is_member(actor, enterprise.pk):
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
        application = locked_application(application_id)
        require_applicant(actor, application)
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


def submit_application(
    application_id: int, *, actor: Any, on_commitment: bool = False
) -> Application:
    """Creates one item per needed item type, all at once, each with its department's clock
    running. With `on_commitment`, every item that allows it is approved at once on the
    enterprise's signed commitment."""
    application = Application.objects.select_related("package", "enterprise").get(pk=application_id)
    refusal = None
    if on_commitment:
        refusal = credit_route_refusal(
            application.enterprise,
            actor,
            f"approvals.application:{application_id} commitment route",
        )
    with transaction.atomic():
        application = locked_application(application_id)
        require_applicant(actor, application)
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
            item.deadline = read_clock(item, now).deadline
        Item.objects.bulk_create(items)
        items = list(application.items.select_related("item_type", "department"))
        move(application, ApplicationStatus.IN_REVIEW, actor=actor, submitted_at=now)
        record_event(
            actor=actor,
            action="approvals.application.submitted",
            obj=application,
            after={"items": [item.item_type.code for item in items]},
        )
        if on_commitment:
            commit_items(application, [i for i in items if i.item_type.allows_commitment], actor)
            settle_application(application, actor)
        tell_departments(items)
        automatic = [
            i.pk for i in items if i.item_type.auto_check and i.status == ItemStatus.PENDING
        ]
        if automatic:
            # Robust: with the broker down the application is submitted all the same; an
            # item whose automatic check was never queued waits for its official.
            transaction.on_commit(lambda: _enqueue_auto_decisions(automatic), robust=True)
    return application


def _enqueue_auto_decisions(item_ids: list[int]) -> None:
    """Queued by name: approvals/tasks.py imports the services, not the other way round.
    (The registered task's apply_async, unlike send_task, honours eager mode.)"""
    auto_decide_item = current_app.tasks["approvals.tasks.auto_decide_item"]
    delay = getattr(settings, "APPROVALS_AUTO_DECISION_DELAY_SECONDS", 0)
    for item_id in item_ids:
        auto_decide_item.apply_async((item_id,), countdown=delay or None)


def withdraw_application(application_id: int, *, actor: Any) -> Application:
    with transaction.atomic():
        application = locked_application(application_id)
        require_applicant(actor, application)
        if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.IN_REVIEW):
            raise ApprovalConflict(_("Only a draft or an application in review can be withdrawn."))
        for item in application.items.select_for_update().filter(status__in=OPEN_STATES):
            close_pause(item)
            move_item(item, ItemStatus.WITHDRAWN, actor, deadline=None)
        move(application, ApplicationStatus.WITHDRAWN, actor=actor)
    return application
