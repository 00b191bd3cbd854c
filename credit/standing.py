"""An enterprise's standing: its grade (stored, or the model's base grade without records)
and its list entries in effect, and the explanation of the grade."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from enterprises.models import Enterprise

from .grades.models import CreditGrade
from .grades.scoring import grade_for
from .grades.selectors import explain, scoring_model_in_force
from .lists.models import ListEntry, ListKind
from .lists.selectors import entries_in_effect


@dataclass
class Standing:
    """An enterprise's grade and list standing, stored or (without records) the default."""

    grade: str
    score: int
    model_version: int
    grade_since: date | None
    computed_at: datetime | None
    red: ListEntry | None
    black: ListEntry | None
    stored: CreditGrade | None

    @property
    def red_listed(self) -> bool:
        return self.red is not None

    @property
    def black_listed(self) -> bool:
        return self.black is not None


def standing(enterprise: Enterprise, day: date | None = None) -> Standing:
    day = day or timezone.localdate()
    stored = CreditGrade.objects.filter(enterprise=enterprise).select_related("model").first()
    entries = {entry.list_kind: entry
               for entry in entries_in_effect(day).filter(enterprise=enterprise)}  # fmt: skip
    red, black = entries.get(ListKind.RED), entries.get(ListKind.BLACK)
    if stored is not None:
        return Standing(stored.grade, stored.score, stored.model.version, stored.grade_since,
                        stored.computed_at, red, black, stored)  # fmt: skip
    model = scoring_model_in_force(day)
    return Standing(grade_for(model.base_score, model.thresholds), model.base_score,
                    model.version, None, None, red, black, None)  # fmt: skip


def explanation(enterprise: Enterprise, current: Standing) -> dict[str, Any]:
    """Which records moved the score, and by how much. Kept with a grade computed for one
    enterprise; derived again (same model, records in effect that day) after a
    recomputation of everyone, or for an enterprise with no grade yet."""
    if current.stored is not None and current.stored.explanation:
        return current.stored.explanation
    if current.stored is not None:
        model = current.stored.model
        day = timezone.localdate(current.stored.computed_at)
    else:
        model = scoring_model_in_force()
        day = timezone.localdate()
    return explain(enterprise, model, day).explanation(model.version)
