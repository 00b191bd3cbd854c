"""Grades from records: one enterprise (when a record arrives, inside its transaction) or
everyone at once (the daily sweep and `manage.py recompute_credit_grades`), with the same
arithmetic (scoring.py).

The recomputation of everyone is set-based: one grouped query sums the points of the
records in effect per enterprise, numpy compares the result with the stored grades, and
only the changed rows are written (on PostgreSQL through COPY into a staging table and one
INSERT … ON CONFLICT). A grade that a record's arrival rewrote while the recomputation ran
is left alone: rows are updated only if they are still as they were read.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, QuerySet, Sum, TextField, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from enterprises.models import Enterprise
from qinqing.audit.services import record_event
from qinqing.bulk import bulk_insert, copy_rows
from qinqing.iterables import chunked

from .models import CreditGrade, GradeChange, ScoringModel
from .scoring import GRADES, grade_for, points_table
from .selectors import explain, records_in_effect, scoring_model_in_force


def recompute_grade(enterprise: Enterprise, *, cause: str, actor: Any = None,
                    today: date | None = None) -> CreditGrade:  # fmt: skip
    """Grade one enterprise now and keep the explanation. The caller holds the
    enterprise's row lock (services do), so two records arriving together are graded one
    after the other."""
    today = today or timezone.localdate()
    model = scoring_model_in_force(today)
    result = explain(enterprise, model, today)
    explanation = result.explanation(model.version)
    now = timezone.now()
    existing = CreditGrade.objects.select_for_update().filter(enterprise=enterprise).first()
    if existing is None:
        grade = CreditGrade.objects.create(
            enterprise=enterprise, grade=result.grade, score=result.score, model=model,
            explanation=explanation, grade_since=today, computed_at=now,
        )  # fmt: skip
        previous_grade, previous_score = "", None
        changed = True
    else:
        grade = existing
        previous_grade, previous_score = grade.grade, grade.score
        changed = (grade.grade, grade.score, grade.model_id) != (result.grade, result.score,
                                                                 model.pk)  # fmt: skip
        if grade.grade != result.grade:
            grade.grade_since = today
        grade.grade, grade.score, grade.model = result.grade, result.score, model
        grade.explanation, grade.computed_at = explanation, now
        grade.save()
    if changed:
        GradeChange.objects.create(
            enterprise=enterprise, grade=result.grade, score=result.score,
            previous_grade=previous_grade, previous_score=previous_score, model=model,
            explanation=explanation, cause=cause[:100], computed_at=now,
        )  # fmt: skip
        record_event(actor=actor, action="credit.grade_changed", obj=grade,
                     before={"grade": previous_grade, "score": previous_score},
                     after={"grade": result.grade, "score": result.score,
                            "model": model.version, "cause": cause})  # fmt: skip
    return grade


@dataclass
class Recomputation:
    enterprises: int = 0  # graded (with a stored grade after the run)
    changed: int = 0
    created: int = 0
    skipped: int = 0  # rewritten by a record's arrival meanwhile: left as it was
    seconds: float = 0.0
    model_version: int = 0
    changed_ids: list[int] = field(default_factory=list)
    # Whose letter (the hub's credit.grade) differs from what the hub last answered: the
    # stored letter, or the base grade for an enterprise graded for the first time.
    letter_changed_ids: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"enterprises": self.enterprises, "changed": self.changed,
                "created": self.created, "skipped": self.skipped,
                "seconds": round(self.seconds, 3), "model": self.model_version}  # fmt: skip


def _fetch(queryset: QuerySet) -> list[tuple]:
    """All rows at once through the driver (the ORM's iterator fetches a hundred at a time,
    which dominates for a million rows)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _points_by_enterprise(
    model: ScoringModel, day: date, enterprise_ids: list[int] | None
) -> tuple[np.ndarray, np.ndarray]:
    """(enterprise ids, summed points), one grouped query (per chunk of ids if given)."""
    whens = [When(score_key=key, then=Value(points))
             for key, points in points_table(model).items() if points]  # fmt: skip
    total = Sum(Case(*whens, default=Value(0), output_field=IntegerField())) if whens else Value(0)
    chunks: Iterable = [None] if enterprise_ids is None else chunked(enterprise_ids, 20_000)
    ids: list[np.ndarray] = []
    points: list[np.ndarray] = []
    for chunk in chunks:
        rows = records_in_effect(day)
        if chunk is not None:
            rows = rows.filter(enterprise_id__in=chunk)
        found = _fetch(rows.order_by().values("enterprise_id").annotate(points=total)
                       .values_list("enterprise_id", "points"))  # fmt: skip
        ids.append(np.fromiter((row[0] for row in found), dtype=np.int64, count=len(found)))
        points.append(np.fromiter((row[1] or 0 for row in found), dtype=np.int64,
                                  count=len(found)))  # fmt: skip
    return np.concatenate(ids), np.concatenate(points)


def _stored_grades(enterprise_ids: list[int] | None) -> tuple[np.ndarray, ...]:
    """(ids, scores, grade index, model ids, computed_at) of the stored grades. On
    PostgreSQL computed_at comes as its exact text (parsing a million timestamps cost more
    than the rest); it is only compared back in SQL."""
    chunks: Iterable = [None] if enterprise_ids is None else chunked(enterprise_ids, 20_000)
    as_text = connection.vendor == "postgresql"
    seen = Cast("computed_at", output_field=TextField()) if as_text else F("computed_at")
    rows: list[tuple] = []
    for chunk in chunks:
        stored = CreditGrade.objects.order_by()
        if chunk is not None:
            stored = stored.filter(enterprise_id__in=chunk)
        query = stored.annotate(seen=seen).values_list("enterprise_id", "score", "grade",
                                                       "model_id", "seen")  # fmt: skip
        rows.extend(_fetch(query) if as_text else query)
    index = {letter: number for number, letter in enumerate(GRADES)}
    return (
        np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows)),
        np.fromiter((row[1] for row in rows), dtype=np.int64, count=len(rows)),
        np.fromiter((index[row[2]] for row in rows), dtype=np.int8, count=len(rows)),
        np.fromiter((row[3] for row in rows), dtype=np.int64, count=len(rows)),
        np.array([row[4] for row in rows], dtype=object),
    )


def recompute_all(*, today: date | None = None, enterprise_ids: Iterable[int] | None = None,
                  cause: str = "recompute", actor: Any = None) -> Recomputation:  # fmt: skip
    """Grade every enterprise that has records or a stored grade (or only those given);
    the others hold the base grade without a row. Returns what changed."""
    started, clock = timezone.now(), time.perf_counter()
    today = today or timezone.localdate()
    ids_filter = None if enterprise_ids is None else sorted(set(enterprise_ids))
    model = scoring_model_in_force(today)
    if ids_filter == []:
        return Recomputation(model_version=model.version)
    point_ids, points = _points_by_enterprise(model, today, ids_filter)
    stored_ids, stored_scores, stored_grades, stored_models, stored_at = _stored_grades(ids_filter)

    everyone = np.union1d(point_ids, stored_ids)
    total = np.full(len(everyone), model.base_score, dtype=np.int64)
    total[np.searchsorted(everyone, point_ids)] += points
    scores = np.clip(total, 0, 100)
    thresholds = model.thresholds
    levels = [scores >= thresholds["A"], scores >= thresholds["B"], scores >= thresholds["C"]]
    grades = np.select(levels, [0, 1, 2], default=3).astype(np.int8)

    at = np.searchsorted(everyone, stored_ids)
    existed = np.zeros(len(everyone), dtype=bool)
    existed[at] = True
    old_scores = np.full(len(everyone), -1, dtype=np.int64)
    old_grades = np.full(len(everyone), -1, dtype=np.int8)
    old_models = np.full(len(everyone), -1, dtype=np.int64)
    old_at = np.full(len(everyone), None, dtype=object)
    old_scores[at], old_grades[at], old_models[at] = stored_scores, stored_grades, stored_models
    old_at[at] = stored_at
    changed = ~existed | (old_scores != scores) | (old_grades != grades) | (old_models != model.pk)
    rows = np.flatnonzero(changed)
    result = Recomputation(enterprises=len(everyone), model_version=model.version)
    batch = _Batch(ids=everyone[rows], scores=scores[rows], grades=grades[rows],
                   seen=old_at[rows], existed=existed[rows], old_scores=old_scores[rows],
                   old_grades=old_grades[rows], model=model, today=today, now=timezone.now(),
                   cause=cause[:100])  # fmt: skip
    with transaction.atomic():
        if connection.vendor == "postgresql" and len(rows):
            written = _write_postgresql(batch)
        else:
            written = _write_portable(batch)
        keep = np.isin(batch.ids, written)
        result.changed = int(keep.sum())
        result.created = int((~batch.existed[keep]).sum())
        result.skipped = len(rows) - result.changed
        result.changed_ids = batch.ids[keep].tolist()
        base_letter = GRADES.index(grade_for(model.base_score, model.thresholds))
        was = np.where(batch.existed, batch.old_grades, base_letter)
        result.letter_changed_ids = batch.ids[keep & (was != batch.grades)].tolist()
        result.seconds = time.perf_counter() - clock
        record_event(actor=actor, action="credit.grades_recomputed", obj=model,
                     after={**result.as_json(), "cause": cause, "day": today.isoformat(),
                            "started": started.isoformat()})  # fmt: skip
    result.seconds = time.perf_counter() - clock
    return result


@dataclass
class _Batch:
    """The changed grades to write, aligned arrays, with what was read before."""

    ids: np.ndarray
    scores: np.ndarray
    grades: np.ndarray  # index into GRADES
    seen: np.ndarray  # computed_at as read (None: no row)
    existed: np.ndarray
    old_scores: np.ndarray
    old_grades: np.ndarray
    model: ScoringModel
    today: date
    now: datetime
    cause: str


def _write_portable(batch: _Batch) -> np.ndarray:
    """Row by row (SQLite): update if unchanged since read, else skip; the
    history rows for the written grades whose grade or score moved."""
    written = []
    new = []
    history = []
    for row, enterprise_id in enumerate(batch.ids.tolist()):
        letter, score = GRADES[batch.grades[row]], int(batch.scores[row])
        if batch.existed[row]:
            stored = CreditGrade.objects.filter(enterprise_id=enterprise_id,
                                                computed_at=batch.seen[row])  # fmt: skip
            current = stored.values_list("grade", flat=True).first()
            if current is None:
                continue
            changes = {"score": score, "grade": letter, "model": batch.model,
                       "explanation": None, "computed_at": batch.now}  # fmt: skip
            if current != letter:
                changes["grade_since"] = batch.today
            if not stored.update(**changes):
                continue
            previous_grade, previous_score = GRADES[batch.old_grades[row]], int(
                batch.old_scores[row])  # fmt: skip
        else:
            new.append(CreditGrade(enterprise_id=enterprise_id, score=score, grade=letter,
                                   model=batch.model, explanation=None,
                                   grade_since=batch.today, computed_at=batch.now))  # fmt: skip
            previous_grade, previous_score = "", None
        written.append(enterprise_id)
        if (previous_grade, previous_score) != (letter, score):
            history.append(GradeChange(
                enterprise_id=enterprise_id, grade=letter, score=score,
                previous_grade=previous_grade, previous_score=previous_score,
                model=batch.model, explanation=None, cause=batch.cause,
                computed_at=batch.now))  # fmt: skip
    if new:
        existing = set(CreditGrade.objects.filter(
            enterprise_id__in=[grade.enterprise_id for grade in new]
        ).values_list("enterprise_id", flat=True))  # fmt: skip
        CreditGrade.objects.bulk_create([grade for grade in new
                                         if grade.enterprise_id not in existing],
                                        batch_size=5000)  # fmt: skip
        written = [i for i in written if i not in existing]
        history = [change for change in history if change.enterprise_id not in existing]
    bulk_insert(history)
    return np.array(sorted(written), dtype=np.int64)


def _write_postgresql(batch: _Batch) -> np.ndarray:
    """COPY the new grades into a staging table, then one statement: INSERT … ON CONFLICT
    updating a stored row only if it is still as it was read (its computed_at unchanged),
    and the history rows of what it wrote."""
    letters = [GRADES[grade] for grade in batch.grades.tolist()]
    old_letters = [GRADES[grade] if was else None
                   for grade, was in zip(batch.old_grades.tolist(), batch.existed.tolist(),
                                         strict=True)]  # fmt: skip
    old_scores = [score if was else None
                  for score, was in zip(batch.old_scores.tolist(), batch.existed.tolist(),
                                        strict=True)]  # fmt: skip
    with connection.cursor() as cursor:
        # One per transaction (ON COMMIT DROP); a second run inside the same transaction
        # (a caller's outer atomic block) starts from an empty one.
        cursor.execute("DROP TABLE IF EXISTS pg_temp.credit_grade_staging")
        cursor.execute(
            "CREATE TEMPORARY TABLE credit_grade_staging (enterprise_id bigint PRIMARY KEY, "
            "score smallint, grade varchar(1), seen_at text, old_grade varchar(1), "
            "old_score smallint) ON COMMIT DROP"
        )
        copy_rows(
            "credit_grade_staging",
            ["enterprise_id", "score", "grade", "seen_at", "old_grade", "old_score"],
            zip(batch.ids.tolist(), batch.scores.tolist(), letters, batch.seen.tolist(),
                old_letters, old_scores, strict=True),
        )  # fmt: skip
        cursor.execute(
            """
            WITH written AS (
                INSERT INTO credit_creditgrade AS g
                    (enterprise_id, score, grade, model_id, explanation, grade_since, computed_at)
                SELECT s.enterprise_id, s.score, s.grade, %(model)s, NULL, %(today)s, %(now)s
                FROM credit_grade_staging s
                ON CONFLICT (enterprise_id) DO UPDATE SET
                    score = EXCLUDED.score, model_id = EXCLUDED.model_id, explanation = NULL,
                    computed_at = EXCLUDED.computed_at,
                    grade_since = CASE WHEN g.grade = EXCLUDED.grade THEN g.grade_since
                                       ELSE EXCLUDED.grade_since END,
                    grade = EXCLUDED.grade
                WHERE g.computed_at = (SELECT seen_at::timestamptz FROM credit_grade_staging
                                       WHERE enterprise_id = g.enterprise_id)
                RETURNING g.enterprise_id, g.grade, g.score
            ), history AS (
                INSERT INTO credit_gradechange (enterprise_id, grade, score, previous_grade,
                    previous_score, model_id, explanation, cause, computed_at)
                SELECT w.enterprise_id, w.grade, w.score, COALESCE(s.old_grade, ''),
                       s.old_score, %(model)s, NULL, %(cause)s, %(now)s
                FROM written w JOIN credit_grade_staging s ON s.enterprise_id = w.enterprise_id
                WHERE s.old_grade IS NULL OR s.old_grade <> w.grade OR s.old_score <> w.score
            )
            SELECT enterprise_id FROM written
            """,
            {"model": batch.model.pk, "today": batch.today, "now": batch.now,
             "cause": batch.cause},
        )  # fmt: skip
        written = np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64)
    written.sort()
    return written
