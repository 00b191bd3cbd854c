"""Reading inspections: campaigns and selections through a scope, a selection's
inspectors with their recusals, and a campaign's progress."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from qinqing.scoping import visible_to

from .models import (
    AssignmentStatus,
    InspectionCampaign,
    InspectionDraw,
    InspectionSelection,
    InspectorAssignment,
    ResultStatus,
)


def campaigns_visible_to(user: Any) -> QuerySet[InspectionCampaign]:
    """By InspectionCampaign.reach: the department's campaigns; auditors all."""
    return visible_to(user, InspectionCampaign.objects.select_related("department"))


def selections_visible_to(user: Any) -> QuerySet[InspectionSelection]:
    """By InspectionSelection.reach: officials their department's campaigns' selections
    and those they are assigned to; members their enterprises'; auditors all."""
    return visible_to(
        user, InspectionSelection.objects.select_related("draw__campaign", "enterprise")
    )


@dataclass
class InspectorRow:
    """One of a selection's inspectors, for pages and the API."""

    position: int
    inspector_id: int
    inspector: User | None
    recused: bool
    recusal_reason: str

    @property
    def username(self) -> str:
        return self.inspector.username if self.inspector else f"#{self.inspector_id}"

    @property
    def status(self) -> str:
        return AssignmentStatus.RECUSED if self.recused else AssignmentStatus.ASSIGNED

    def get_status_display(self) -> str:
        return str(AssignmentStatus(self.status).label)


def attach_inspectors(selections: Iterable[InspectionSelection]) -> list[InspectionSelection]:
    """Each selection with `inspector_rows` (its inspectors in order of position, with
    their recusals): two queries for a page, whatever its length."""
    selections = list(selections)
    users = User.objects.in_bulk({pk for s in selections for pk in s.inspectors})
    recusals = {
        (selection_id, inspector_id): reason
        for selection_id, inspector_id, reason in InspectorAssignment.objects.filter(
            selection__in=[s.pk for s in selections], status=AssignmentStatus.RECUSED
        ).values_list("selection_id", "inspector_id", "recusal_reason")
    }
    for s in selections:
        s.inspector_rows = [
            InspectorRow(
                position,
                pk,
                users.get(pk),
                (s.pk, pk) in recusals,
                recusals.get((s.pk, pk), ""),
            )
            for position, pk in enumerate(s.inspectors, start=1)
        ]
    return selections


def current_inspector_ids(selection: InspectionSelection) -> list[int]:
    """The selection's inspectors who have not recused, in order."""
    recused = set(
        selection.assignments.filter(status=AssignmentStatus.RECUSED).values_list(
            "inspector_id", flat=True
        )
    )
    return [pk for pk in selection.inspectors if pk not in recused]


@dataclass
class Progress:
    selected: int
    published: int
    outstanding: int
    due: Any
    overdue: bool


def progress(campaign: InspectionCampaign) -> Progress | None:
    drawn = InspectionDraw.objects.filter(campaign=campaign).first()
    if drawn is None:
        return None
    selections = drawn.selections.all()
    total = selections.count()
    outstanding = selections.filter(result=ResultStatus.PENDING).count()
    return Progress(
        total,
        total - outstanding,
        outstanding,
        drawn.results_due,
        outstanding > 0 and timezone.now() > drawn.results_due,
    )


def inspections_due(user: Any) -> QuerySet[InspectionSelection]:
    """Drawn enterprises whose inspection result is still awaited, soonest due first (the
    20-day publication limit runs from the draw)."""
    return (selections_visible_to(user).filter(result=ResultStatus.PENDING)
            .order_by("draw__results_due", "pk"))  # fmt: skip
