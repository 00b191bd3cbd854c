"""Reading grades: the scoring model in force, the records that count on a day, one
enterprise's grade explained, and the grade history through a scope (see
credit/records/selectors.py for who sees what)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from enterprises.models import Enterprise
from qinqing.scoping import visible_to

from ..defaults import SCORING_MODEL_V1
from ..records.models import CreditRecord, RecordStatus
from .models import GradeChange, ScoringModel
from .scoring import GradeResult, compute


def scoring_model_in_force(day: date | None = None) -> ScoringModel:
    """The highest version in force on `day`; the first version is put back if the table
    is empty (a fresh or flushed database), so grading never stops for want of a model."""
    day = day or timezone.localdate()
    model = ScoringModel.objects.filter(in_force_from__lte=day).order_by("-version").first()
    if model is not None:
        return model
    if ScoringModel.objects.exists():  # only versions from a later day: use the earliest
        return ScoringModel.objects.order_by("version").first()
    model, _created = ScoringModel.objects.get_or_create(
        version=SCORING_MODEL_V1["version"],
        defaults={k: v for k, v in SCORING_MODEL_V1.items() if k != "version"},
    )
    return model


def records_in_effect(day: date) -> QuerySet[CreditRecord]:
    """Records that count on `day`: in effect, dated no later, not yet expired. The date
    test makes the grade right even before the daily sweep marks expired records."""
    return CreditRecord.objects.filter(
        status=RecordStatus.ACTIVE, occurred_on__lte=day, expires_on__gt=day
    )


def explain(enterprise: Enterprise, model: ScoringModel, day: date) -> GradeResult:
    records = records_in_effect(day).filter(enterprise=enterprise).order_by("occurred_on", "id")
    return compute(model, records)


def grade_changes_visible_to(user: Any) -> QuerySet[GradeChange]:
    """By GradeChange.reach: shared across departments, like the records."""
    return visible_to(user, GradeChange.objects.select_related("enterprise", "model"))
