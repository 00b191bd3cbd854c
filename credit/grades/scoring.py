"""The scoring model's arithmetic, kept pure so that one enterprise's grade, everyone's
grade and the explanation shown on a page all come from the same lines.

score = clamp(base + Σ points of the records in effect, 0, 100); the grade is the best
letter whose lowest score the score reaches (below C is D). Points come from the model:
weights[kind][severity], or weights["tax_grade"][letter] for an imported tax grade.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..records.models import RecordKind, Severity, TaxGrade

GRADES = ("A", "B", "C", "D")
LOWEST, HIGHEST = 0, 100
MAX_POINTS = 100
SCORED_KINDS = [kind for kind in RecordKind.values if kind != RecordKind.TAX_GRADE]


class ModelLike(Protocol):
    base_score: int
    weights: dict[str, dict[str, int]]
    thresholds: dict[str, int]


def check_model(base_score: Any, weights: Any, thresholds: Any) -> None:
    """Every kind and severity (every tax letter) has whole points within ±100, the
    thresholds fall from A to C, and the base is a score. ValidationError says where."""
    errors: dict[str, list[str]] = {}
    if not isinstance(base_score, int) or not LOWEST <= base_score <= HIGHEST:
        errors.setdefault("base_score", []).append(
            _("The base score is a whole number from 0 to 100.")
        )
    if not isinstance(weights, dict):
        errors.setdefault("weights", []).append(_("Points are an object keyed by record kind."))
    else:
        expected = {kind: list(Severity.values) for kind in SCORED_KINDS}
        expected[RecordKind.TAX_GRADE] = list(TaxGrade.values)
        unknown = sorted(set(weights) - set(expected))
        if unknown:
            errors.setdefault("weights", []).append(
                _("Unknown record kinds: %(kinds)s.") % {"kinds": ", ".join(unknown)}
            )
        for kind, keys in expected.items():
            row = weights.get(kind)
            if not isinstance(row, dict) or sorted(row) != sorted(keys):
                errors.setdefault("weights", []).append(
                    _("%(kind)s needs points for exactly %(keys)s.")
                    % {"kind": kind, "keys": ", ".join(keys)}
                )
                continue
            for key, points in row.items():
                if (
                    isinstance(points, bool)
                    or not isinstance(points, int)
                    or abs(points) > MAX_POINTS
                ):
                    errors.setdefault("weights", []).append(
                        _("%(kind)s.%(key)s: points are a whole number from -100 to 100.")
                        % {"kind": kind, "key": key}
                    )
    if (
        not isinstance(thresholds, dict)
        or sorted(thresholds) != ["A", "B", "C"]
        or not all(
            isinstance(value, int) and not isinstance(value, bool) for value in thresholds.values()
        )
    ):
        errors.setdefault("thresholds", []).append(
            _("Give the lowest score of A, B and C as whole numbers.")
        )
    elif not HIGHEST >= thresholds["A"] > thresholds["B"] > thresholds["C"] >= LOWEST:
        errors.setdefault("thresholds", []).append(
            _("The lowest scores must fall from A to C, within 0 to 100.")
        )
    if errors:
        raise ValidationError(errors)  # fmt: skip


def points_table(model: ModelLike) -> dict[str, int]:
    """{score key: points}, e.g. {"administrative_penalty:serious": -35, "tax_grade:A": 10}."""
    return {
        f"{kind}:{key}": int(points)
        for kind, row in model.weights.items()
        for key, points in row.items()
    }


def grade_for(score: int, thresholds: dict[str, int]) -> str:
    for letter in ("A", "B", "C"):
        if score >= thresholds[letter]:
            return letter
    return "D"


def clamp(score: int) -> int:
    return max(LOWEST, min(HIGHEST, score))


@dataclass(frozen=True)
class GradeResult:
    score: int
    grade: str
    base: int
    # Each record that moved the score: {"record", "kind", "severity", "tax_grade",
    # "title", "occurred_on", "points"}, largest effect first.
    moves: list[dict[str, Any]]

    def explanation(self, model_version: int) -> dict[str, Any]:
        return {"model": model_version, "base": self.base, "score": self.score,
                "grade": self.grade, "records": self.moves}  # fmt: skip


def compute(model: ModelLike, records: Iterable[Any]) -> GradeResult:
    """`records` are the ones in effect (the caller chooses them by status and date)."""
    table = points_table(model)
    moves = []
    total = model.base_score
    for record in records:
        points = table.get(record.score_key, 0)
        if not points:
            continue
        total += points
        moves.append({
            "record": record.pk, "kind": record.kind, "severity": record.severity,
            "tax_grade": record.tax_grade, "title": record.title,
            "occurred_on": record.occurred_on.isoformat(), "points": points,
        })  # fmt: skip
    moves.sort(key=lambda move: (-abs(move["points"]), move["record"]))
    score = clamp(total)
    return GradeResult(score, grade_for(score, model.thresholds), model.base_score, moves)
