"""Reads, scoped by the one rule (qinqing.scoping, by Dispute.reach): an enterprise member
sees their enterprises' disputes, a person their own; an official those of their
department (and district); auditors everything. The dispute's timeline and the officials'
queue (by time left)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from datahub.catalogue import CATALOGUE, PERSON_CATALOGUE, FactSpec
from qinqing.scoping import is_acting_official, visible_to
from qinqing.workhours.case_services import read_clock
from qinqing.workqueues import QueueReading, Waiting

from .models import Dispute, DisputeStatus

SHOWN = 5


def disputes_for(user: Any) -> QuerySet[Dispute]:
    return visible_to(
        user,
        Dispute.objects.select_related(
            "enterprise", "person", "department", "district", "raised_by", "decided_by", "policy"
        ),
    )


def by_time_left(disputes: QuerySet[Dispute]) -> QuerySet[Dispute]:
    """Soonest deadline first; decided and withdrawn (no deadline) last."""
    return disputes.order_by(F("deadline").asc(nulls_last=True), "pk")


def spec_of(dispute: Dispute) -> FactSpec | None:
    """The disputed fact in its catalogue: a person's or an enterprise's."""
    catalogue = PERSON_CATALOGUE if dispute.person_id is not None else CATALOGUE
    return catalogue.get(dispute.fact)


def subject_name(dispute: Dispute) -> str:
    """Whom the dispute is about, as the official reads it: the enterprise's name, or the
    person's name with the identity number masked."""
    return str(dispute.person) if dispute.person_id is not None else dispute.enterprise.name


def fact_label(dispute: Dispute) -> str:
    spec = spec_of(dispute)
    return spec.label if spec else dispute.fact


def held_text(dispute: Dispute) -> str:
    spec = spec_of(dispute)
    if dispute.held_value is None or spec is None:
        return ""
    return spec.display(dispute.held_value)


def claimed_text(dispute: Dispute) -> str:
    """The value the enterprise gives, in the reader's language (stored typed, like the
    held value: formatting it when raised would fix the raiser's language for everyone)."""
    spec = spec_of(dispute)
    return spec.display(dispute.claimed_value) if spec else str(dispute.claimed_value)


def corrected_text(dispute: Dispute) -> str:
    spec = spec_of(dispute)
    if dispute.corrected_value is None or spec is None:
        return ""
    return spec.display(dispute.corrected_value)


@dataclass(frozen=True)
class Step:
    at: datetime
    what: str
    detail: str = ""


def timeline(dispute: Dispute) -> list[Step]:
    """Every step of the dispute, as both sides see it, oldest first."""
    steps = [
        Step(dispute.created_at, _("Raised and sent to %(department)s")
             % {"department": dispute.department.name},
             _("You hold the value to be: %(value)s") % {"value": claimed_text(dispute)}),
    ]  # fmt: skip
    if dispute.warned_at:
        steps.append(Step(dispute.warned_at, _("The department was reminded of its time limit")))
    if dispute.escalated_at:
        steps.append(
            Step(
                dispute.escalated_at,
                _("Time limit passed: escalated to the department's supervisors"),
            )
        )
    if dispute.status == DisputeStatus.CONFIRMED and dispute.decided_at:
        steps.append(Step(dispute.decided_at, _("The department confirmed the fact"),
                          dispute.reason))  # fmt: skip
    if dispute.status == DisputeStatus.CORRECTED and dispute.decided_at:
        corrected = _("The department corrected the fact to %(value)s") % {
            "value": corrected_text(dispute)
        }
        steps.append(Step(dispute.decided_at, corrected, dispute.reason))
    if dispute.withdrawn_at:
        if dispute.person_id:
            who = _("Withdrawn by the person")
        else:
            who = _("Withdrawn by the enterprise")
        steps.append(Step(dispute.withdrawn_at, who))
    return sorted(steps, key=lambda step: step.at)


def disputes_queue(user: Any, now: datetime) -> QueueReading | None:
    """The officials' work queue of disputes awaiting their department, by time left
    (qinqing.workqueues)."""
    if not is_acting_official(user):
        return None
    waiting = by_time_left(
        disputes_for(user).filter(status=DisputeStatus.RAISED).prefetch_related("pauses")
    )
    items = []
    urgent = 0
    for dispute in waiting[:SHOWN]:
        clock = read_clock(dispute, now)
        urgent += clock.overdue or clock.warn
        items.append(Waiting(
            subject=f"{subject_name(dispute)} · {fact_label(dispute)}",
            asked=_("Holds the value to be %(value)s") % {"value": claimed_text(dispute)},
            action=_("Confirm or correct"),
            url=reverse("disputes:handle", args=[dispute.pk]),
            due=dispute.deadline, due_label=_("Answer by"),
        ))  # fmt: skip
    return QueueReading(title=_("Fact disputes"), count=waiting.count(),
                        url=reverse("disputes:queue"), items=items, urgent=urgent)  # fmt: skip
