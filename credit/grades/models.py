"""Grades: the scoring model that grades enterprises (versioned, as data), each
enterprise's grade now, and the history of its changes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.scoping import Reach

from .scoring import check_model


class ScoringModel(models.Model):
    """A version of the grading rules, as data: a base score, points per record kind and
    severity (per letter for tax grades) and the lowest score of each grade. The version in
    force on a day is the highest one in force from that day or earlier. A version that has
    graded anyone is evidence and is never edited: a change is a new version."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("what changed and why"), blank=True)
    base_score = models.SmallIntegerField(_("base score"))
    weights = models.JSONField(
        _("points per record"),
        help_text=_('{"administrative_penalty": {"minor": -5, "general": -15, "serious": -35}, '
                    '…, "tax_grade": {"A": 10, "B": 3, "M": 0, "C": -10, "D": -30}}'),
    )  # fmt: skip
    thresholds = models.JSONField(
        _("lowest score of each grade"), help_text=_('{"A": 90, "B": 70, "C": 50}; below C is D.')
    )
    in_force_from = models.DateField(_("in force from"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("credit scoring model")
        verbose_name_plural = _("credit scoring models")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version} {self.title}"

    def clean(self) -> None:
        check_model(self.base_score, self.weights, self.thresholds)


# Unchecked keys: the grades' and the history's keys (enterprise, scoring model) carry no
# database constraint. PostgreSQL checks one with a trigger a row (a FOR KEY SHARE lookup of
# the referenced row): for a city graded the first time, each of the four keys costs about
# as much again as writing the rows (measured at 100,000 on the history, same sitting:
# 0.39 s without a key, +0.36 s the model's, +0.55 s the enterprise's). The keys hold
# without it: grades/services.py writes these rows for an enterprise whose row it has
# locked or whose records it has just read (credit_creditrecord's key is constrained, and
# records are never deleted), with the scoring model in force (the sandbox's city
# generator too, for enterprises it reads from the register). Nothing deletes an
# enterprise or a used scoring model (no product path does; Django's PROTECT still refuses
# in the ORM, e.g. the back office, while a grade or history names it). The audit trail
# names its actor the same way (qinqing/audit/models.py). Checked per statement instead,
# as the claims' keys are (qinqing/foreign_keys.py), they cost 6.8 s of a
# 1,000,000-enterprise first computation (23.3 s against 16.5 s, same machine,
# 2026-12-07): beyond the 2× of the floor, so they stay unchecked.


class Grade(models.TextChoices):
    A = "A", _("A — trustworthy")
    B = "B", _("B — good")
    C = "C", _("C — watch")
    D = "D", _("D — untrustworthy")


class CreditGrade(models.Model):
    """An enterprise's grade now. An enterprise without a row has never had a record and
    holds the model's base grade. `explanation` is kept when one enterprise is graded; a
    recomputation of everyone leaves it empty and it is derived again from the same model
    and the records in effect on the day (the same inputs give the same points)."""

    # Keys without a database constraint (see “Unchecked keys” above).
    enterprise = models.OneToOneField(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="credit_grade",
        verbose_name=_("enterprise"), db_constraint=False,
    )  # fmt: skip
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices)
    score = models.SmallIntegerField(_("score"))
    model = models.ForeignKey(ScoringModel, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("scoring model"), db_constraint=False)  # fmt: skip
    explanation = models.JSONField(_("explanation"), null=True, blank=True)
    grade_since = models.DateField(_("grade held since"))
    computed_at = models.DateTimeField(_("computed"))

    # The grade itself is public (the public credit page); its row and explanation are
    # scoped like the records.
    reach = Reach(enterprise="enterprise", district="enterprise__district")

    class Meta:
        verbose_name = _("credit grade")
        verbose_name_plural = _("credit grades")
        indexes = [models.Index(fields=["grade", "grade_since"], name="credit_grade_since")]

    def __str__(self) -> str:
        return f"{self.enterprise_id}: {self.grade} ({self.score})"


class GradeChange(models.Model):
    """The grade history: one row each time an enterprise's grade or score changed."""

    # Keys without a database constraint (see “Unchecked keys” above); an index of the
    # enterprise alone would repeat credit_grade_hist's first column.
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="credit_grade_changes",
        verbose_name=_("enterprise"), db_constraint=False, db_index=False,
    )  # fmt: skip
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices)
    score = models.SmallIntegerField(_("score"))
    previous_grade = models.CharField(_("previous grade"), max_length=1, blank=True)
    previous_score = models.SmallIntegerField(_("previous score"), null=True, blank=True)
    model = models.ForeignKey(ScoringModel, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("scoring model"), db_constraint=False)  # fmt: skip
    explanation = models.JSONField(_("explanation"), null=True, blank=True)
    cause = models.CharField(_("cause"), max_length=100)
    computed_at = models.DateTimeField(_("computed"))

    # Shared across departments, like the records (credit/records/models.py).
    reach = Reach(enterprise="enterprise", district="enterprise__district")

    class Meta:
        verbose_name = _("grade change")
        verbose_name_plural = _("grade changes")
        ordering = ["-computed_at", "-id"]
        indexes = [models.Index(fields=["enterprise", "-computed_at"], name="credit_grade_hist")]

    def __str__(self) -> str:
        return f"{self.enterprise_id}: {self.previous_grade or '–'} → {self.grade}"
