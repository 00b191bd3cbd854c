"""Grades from records: one enterprise (when a record arrives, inside its transaction) or
everyone at once (the daily sweep and `manage.py recompute_credit_grades`), with the same
arithmetic (scoring.py).

The recomputation of everyone is set-based and chunked by enterprise id: per chunk, one
query reads the records in effect with their points and one the stored grades (on
PostgreSQL each packed by the server into one value numpy reads in place); numpy sums,
scores and compares, and only the changed rows are written (on PostgreSQL: the new grades
and their history by COPY, the changed ones through a staging table and one statement
updating them and writing their history). A grade that a record's arrival rewrote while
the recomputation ran is left alone: rows are updated only if they are still as they
were read.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min, QuerySet
from django.utils import timezone

from enterprises.models import Enterprise
from qinqing.audit.services import record_event
from qinqing.bulk import bulk_insert, copy_text
from qinqing.iterables import chunked
from qinqing.packed import read_columns

from .columns import copy_field, copy_lines
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


# Enterprise ids per chunk: a chunk is read, scored and written in its own transaction,
# and any worker may take one (recompute_chunk); run again, it finds nothing to write.
CHUNK_IDS = 250_000
LETTERS_SQL = "(ARRAY['A','B','C','D'])"


@dataclass
class Recomputation:
    enterprises: int = 0  # graded (with a stored grade after the run)
    changed: int = 0
    created: int = 0
    skipped: int = 0  # rewritten by a record's arrival meanwhile: left as it was
    seconds: float = 0.0
    model_version: int = 0
    chunks: int = 0
    changed_ids: list[int] = field(default_factory=list)
    # Whose letter (the hub's credit.grade) differs from what the hub last answered: the
    # stored letter, or the base grade for an enterprise graded for the first time.
    letter_changed_ids: list[int] = field(default_factory=list)

    def add(self, part: Recomputation) -> None:
        self.enterprises += part.enterprises
        self.changed += part.changed
        self.created += part.created
        self.skipped += part.skipped
        self.chunks += part.chunks
        self.changed_ids += part.changed_ids
        self.letter_changed_ids += part.letter_changed_ids

    def as_json(self) -> dict[str, Any]:
        return {"enterprises": self.enterprises, "changed": self.changed,
                "created": self.created, "skipped": self.skipped,
                "seconds": round(self.seconds, 3), "model": self.model_version}  # fmt: skip


@dataclass(frozen=True)
class GradeChunk:
    """The enterprises lo <= id < hi, or only `ids` (sorted) among them."""

    lo: int
    hi: int
    ids: tuple[int, ...] | None = None


def grade_chunks(enterprise_ids: Iterable[int] | None = None,
                 size: int = CHUNK_IDS) -> list[GradeChunk]:  # fmt: skip
    """Everyone as ranges of ids (`size` ids each), or the ids given, `size` at a time."""
    if enterprise_ids is None:
        bounds = Enterprise.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
        if bounds["lo"] is None:
            return []
        last = bounds["hi"] + 1
        return [GradeChunk(lo, min(lo + size, last)) for lo in range(bounds["lo"], last, size)]
    ids = sorted(set(enterprise_ids))
    return [GradeChunk(part[0], part[-1] + 1, tuple(part)) for part in chunked(ids, size)]


def recompute_all(*, today: date | None = None, enterprise_ids: Iterable[int] | None = None,
                  cause: str = "recompute", actor: Any = None,
                  chunk_size: int = CHUNK_IDS) -> Recomputation:  # fmt: skip
    """Grade every enterprise that has records or a stored grade (or only those given);
    the others hold the base grade without a row. Chunk after chunk, each in its own
    transaction; one audit event says what the run did. Returns what changed."""
    started, clock = timezone.now(), time.perf_counter()
    today = today or timezone.localdate()
    model = scoring_model_in_force(today)
    result = Recomputation(model_version=model.version)
    chunks = grade_chunks(enterprise_ids, chunk_size)
    if enterprise_ids is not None and not chunks:
        return result
    now = timezone.now()
    for chunk in chunks:
        result.add(recompute_chunk(chunk, model=model, today=today, now=now, cause=cause))
    result.seconds = time.perf_counter() - clock
    record_event(actor=actor, action="credit.grades_recomputed", obj=model,
                 after={**result.as_json(), "cause": cause, "day": today.isoformat(),
                        "started": started.isoformat()})  # fmt: skip
    result.seconds = time.perf_counter() - clock
    return result


def recompute_chunk(chunk: GradeChunk, *, model: ScoringModel, today: date, now: datetime,
                    cause: str) -> Recomputation:  # fmt: skip
    """One chunk: its records' points and stored grades read in one pass each, scored
    with numpy, and the changed grades written in one transaction (nothing when nothing
    changed). A grade rewritten since it was read is left alone, and a grade created since
    (a record's arrival grading an enterprise for the first time, or another worker on the
    same chunk) makes the chunk start again from a fresh read: a chunk run twice, or by
    two workers at once, writes each change once. The last attempt writes new grades
    through ON CONFLICT instead of COPY, leaving alone those created meanwhile, so that
    arrivals faster than a chunk's read and write cannot stop the run."""
    for attempt in range(3):
        try:
            return _recompute_chunk(chunk, model=model, today=today, now=now, cause=cause,
                                    tolerant=attempt == 2)  # fmt: skip
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _recompute_chunk(chunk: GradeChunk, *, model: ScoringModel, today: date, now: datetime,
                     cause: str, tolerant: bool = False) -> Recomputation:  # fmt: skip
    result = Recomputation(model_version=model.version, chunks=1)
    point_ids, points = _points_by_enterprise(model, today, chunk)
    stored_ids, stored_scores, stored_grades, stored_models, stored_at = _stored_grades(chunk)

    everyone = _union_sorted(point_ids, stored_ids)
    result.enterprises = len(everyone)
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
    old_at = np.zeros(len(everyone), dtype=stored_at.dtype)
    old_scores[at], old_grades[at], old_models[at] = stored_scores, stored_grades, stored_models
    old_at[at] = stored_at
    changed = ~existed | (old_scores != scores) | (old_grades != grades) | (old_models != model.pk)
    rows = np.flatnonzero(changed)
    if not len(rows):
        return result
    batch = _Batch(ids=everyone[rows], scores=scores[rows], grades=grades[rows],
                   seen=old_at[rows], existed=existed[rows], old_scores=old_scores[rows],
                   old_grades=old_grades[rows], model=model, today=today, now=now,
                   cause=cause[:100])  # fmt: skip
    with transaction.atomic():
        if connection.vendor == "postgresql":
            written = _write_postgresql(batch, tolerant=tolerant)
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
    return result


def _within(queryset: QuerySet, chunk: GradeChunk) -> QuerySet:
    rows = queryset.filter(enterprise_id__gte=chunk.lo, enterprise_id__lt=chunk.hi)
    return rows if chunk.ids is None else rows.filter(enterprise_id__in=chunk.ids)


def _points_by_enterprise(model: ScoringModel, day: date,
                          chunk: GradeChunk) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(enterprise ids, sorted; summed points) of the records in effect: each record read
    with its points (on PostgreSQL joined from a VALUES list of the model's points per score
    key, packed by the server), summed by numpy. The server grouping a SUM(CASE score_key
    …) per enterprise cost three to five times reading the rows (measured at 100,000)."""
    table = {key: points for key, points in points_table(model).items() if points}
    records = _within(records_in_effect(day), chunk).order_by()
    sql, params = records.values_list("enterprise_id", "score_key").query.sql_with_params()
    if connection.vendor == "postgresql":
        points, joined = "0", ""
        if table:
            points = "COALESCE(v.points, 0)"
            joined = ("LEFT JOIN (VALUES " + ", ".join(["(%s::text, %s::int2)"] * len(table))
                      + ") AS v (score_key, points) ON v.score_key = q.score_key")  # fmt: skip
        found = read_columns(
            f"SELECT q.enterprise_id::int8, {points}::int2 FROM ({sql}) q {joined}",  # noqa: S608
            [*params, *(value for pair in table.items() for value in pair)],
            [("id", "int8"), ("points", "int2")],
        )  # fmt: skip
        ids, each = found["id"].astype(np.int64), found["points"].astype(np.int64)
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        each = np.fromiter((table.get(row[1], 0) for row in rows), dtype=np.int64,
                           count=len(rows))  # fmt: skip
    everyone, at = np.unique(ids, return_inverse=True)
    # Exact: a float64 holds every sum of small integers below 2**53.
    summed = np.bincount(at, weights=each, minlength=len(everyone)).astype(np.int64)
    return everyone, summed


def _stored_grades(chunk: GradeChunk) -> tuple[np.ndarray, ...]:
    """(ids, scores, grade index, model ids, version) of the stored grades, sorted by id.
    The version is computed_at: on PostgreSQL its binary form (whole microseconds since
    2000, compared back in SQL the same way: _VERSION), elsewhere the datetime itself."""
    stored = _within(CreditGrade.objects.order_by(), chunk)
    if connection.vendor == "postgresql":
        sql, params = stored.values_list("enterprise_id", "score", "grade", "model_id",
                                         "computed_at").query.sql_with_params()  # fmt: skip
        found = read_columns(
            'SELECT q.enterprise_id::int8, q.score::int2, q.grade::"char", q.model_id::int8, '  # noqa: S608
            f"q.computed_at FROM ({sql}) q",
            params,
            [("id", "int8"), ("score", "int2"), ("grade", "char"), ("model", "int8"),
             ("seen", "timestamptz")],
        )  # fmt: skip
        found = found[np.argsort(found["id"], kind="stable")]
        return (found["id"].astype(np.int64), found["score"].astype(np.int64),
                _GRADE_OF_CODE[found["grade"]], found["model"].astype(np.int64),
                found["seen"].astype(np.int64))  # fmt: skip
    rows = list(stored.order_by("enterprise_id").values_list(
        "enterprise_id", "score", "grade", "model_id", "computed_at"))  # fmt: skip
    index = {letter: number for number, letter in enumerate(GRADES)}
    return (
        np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows)),
        np.fromiter((row[1] for row in rows), dtype=np.int64, count=len(rows)),
        np.fromiter((index[row[2]] for row in rows), dtype=np.int8, count=len(rows)),
        np.fromiter((row[3] for row in rows), dtype=np.int64, count=len(rows)),
        np.array([row[4] for row in rows], dtype=object),
    )


# A stored grade's letter (its ASCII code, as read) as an index into GRADES.
_GRADE_OF_CODE = np.full(256, len(GRADES) - 1, dtype=np.int8)
_GRADE_OF_CODE[[ord(letter) for letter in GRADES]] = np.arange(len(GRADES), dtype=np.int8)
# computed_at as the version a stored grade was read at: its binary form, exact.
_VERSION = "timestamptz_send({})"


def _union_sorted(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The sorted distinct values of two sorted arrays: a stable sort finds the two runs
    and merges them in one pass (np.union1d sorts from scratch)."""
    merged = np.concatenate([first, second])
    merged.sort(kind="stable")
    keep = np.ones(len(merged), dtype=bool)
    keep[1:] = merged[1:] != merged[:-1]
    return merged[keep]


@dataclass
class _Batch:
    """The changed grades to write, aligned arrays, with what was read before."""

    ids: np.ndarray
    scores: np.ndarray
    grades: np.ndarray  # index into GRADES
    seen: np.ndarray  # the stored row's version as read (see _stored_grades)
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


_STAGING = ["enterprise_id", "score", "grade", "seen", "old_score", "old_grade"]
# The stored grades that changed, in one statement per chunk: updated only if still as read
# (their computed_at unchanged: a concurrent writer's row is re-checked after its commit
# and left alone), with the history rows of those whose grade or score moved.
_UPDATE = f"""
WITH updated AS (
    UPDATE credit_creditgrade AS g SET
        score = s.score, grade = {LETTERS_SQL}[s.grade + 1], model_id = %(model)s,
        explanation = NULL, computed_at = %(now)s,
        grade_since = CASE WHEN g.grade = {LETTERS_SQL}[s.grade + 1] THEN g.grade_since
                           ELSE %(today)s END
    FROM credit_grade_staging s
    WHERE g.enterprise_id = s.enterprise_id
      AND {_VERSION.format("g.computed_at")} = int8send(s.seen)
    RETURNING g.enterprise_id, g.grade, g.score, {LETTERS_SQL}[s.old_grade + 1] AS old_grade,
              s.old_score
), history AS (
    INSERT INTO credit_gradechange (enterprise_id, grade, score, previous_grade,
        previous_score, model_id, explanation, cause, computed_at)
    SELECT enterprise_id, grade, score, old_grade, old_score, %(model)s, NULL, %(cause)s,
           %(now)s
    FROM updated WHERE old_grade <> grade OR old_score <> score
)
SELECT enterprise_id FROM updated
"""  # noqa: S608
_LETTER_CODES = np.frombuffer("".join(GRADES).encode(), dtype=np.uint8)


# The grades of enterprises graded for the first time, from a staging table, except those
# created meanwhile (the last attempt of a chunk: see recompute_chunk), with their history.
_INSERT_NEW = f"""
WITH inserted AS (
    INSERT INTO credit_creditgrade (enterprise_id, score, grade, model_id, explanation,
                                    grade_since, computed_at)
    SELECT s.enterprise_id, s.score, {LETTERS_SQL}[s.grade + 1], %(model)s, NULL, %(today)s,
           %(now)s
    FROM credit_grade_staging s
    ON CONFLICT (enterprise_id) DO NOTHING
    RETURNING enterprise_id, grade, score
), history AS (
    INSERT INTO credit_gradechange (enterprise_id, grade, score, previous_grade,
        previous_score, model_id, explanation, cause, computed_at)
    SELECT enterprise_id, grade, score, '', NULL, %(model)s, NULL, %(cause)s, %(now)s
    FROM inserted
)
SELECT enterprise_id FROM inserted
"""  # noqa: S608


def _write_postgresql(batch: _Batch, *, tolerant: bool = False) -> np.ndarray:
    """Through the one COPY writer: the grades of enterprises graded for the first time
    and their history rows straight into their tables (a row created meanwhile fails the
    COPY with IntegrityError, and recompute_chunk starts the chunk again; `tolerant`: into
    a staging table, then _INSERT_NEW); the changed stored grades into a staging table,
    then _UPDATE. Text built by numpy (copy_lines). Returns the ids written, sorted."""
    new, existed = ~batch.existed, batch.existed
    written = []
    params = {"model": batch.model.pk, "today": batch.today, "now": batch.now,
              "cause": batch.cause}  # fmt: skip
    if new.any() and tolerant:
        unused = np.zeros(int(new.sum()), dtype=np.int64)  # nothing was stored before
        written.append(_staged(_INSERT_NEW, params, [
            batch.ids[new], batch.scores[new], batch.grades[new], unused, unused, unused,
        ]))  # fmt: skip
    elif new.any():
        ids, scores, letters = batch.ids[new], batch.scores[new], _LETTER_CODES[batch.grades[new]]
        now, model = batch.now.isoformat(), batch.model.pk
        copy_text("credit_creditgrade", ["enterprise_id", "score", "grade", "model_id",
                                         "explanation", "grade_since", "computed_at"],
                  copy_lines([ids, scores, letters,
                              f"{model}\t\\N\t{batch.today.isoformat()}\t{now}"]))  # fmt: skip
        # The previous grade empty, the previous score NULL.
        tail = f"\t\\N\t{model}\t\\N\t{copy_field(batch.cause)}\t{now}"
        copy_text("credit_gradechange", ["enterprise_id", "grade", "score", "previous_grade",
                                         "previous_score", "model_id", "explanation", "cause",
                                         "computed_at"],
                  copy_lines([ids, letters, scores, tail]))  # fmt: skip
        written.append(ids)
    if existed.any():
        written.append(_staged(_UPDATE, params, [
            batch.ids[existed], batch.scores[existed], batch.grades[existed],
            batch.seen[existed], batch.old_scores[existed], batch.old_grades[existed],
        ]))  # fmt: skip
    found = np.concatenate(written) if written else np.zeros(0, dtype=np.int64)
    found.sort()
    return found


def _staged(statement: str, params: dict[str, Any], columns: list[np.ndarray]) -> np.ndarray:
    """`columns` (_STAGING's, aligned) copied into a staging table, then `statement` run
    over it; returns the enterprise ids it answers."""
    with connection.cursor() as cursor:
        # One per transaction (ON COMMIT DROP); a second use inside the same transaction
        # (a caller's outer atomic block, or new and changed grades) starts from empty.
        cursor.execute("DROP TABLE IF EXISTS pg_temp.credit_grade_staging")
        cursor.execute(
            "CREATE TEMPORARY TABLE credit_grade_staging (enterprise_id bigint, "
            "score smallint, grade smallint, seen bigint, old_score smallint, "
            "old_grade smallint) ON COMMIT DROP"
        )
        copy_text("credit_grade_staging", _STAGING, copy_lines(columns))
        cursor.execute("ANALYZE credit_grade_staging")
        cursor.execute(statement, params)
        return np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64)
