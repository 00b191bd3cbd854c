"""Credit records: what departments and the portal record about enterprises (penalties,
findings, rewards, commitments and their outcomes, tax grades), each public for a window
its severity allows and counting for the grade until it expires."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qinqing.scoping import Reach
from qinqing.transitions import Transitions


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has no such day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class RecordKind(models.TextChoices):
    COMMITMENT_MADE = "commitment_made", _("Commitment made")
    COMMITMENT_FULFILLED = "commitment_fulfilled", _("Commitment fulfilled")
    COMMITMENT_BREACHED = "commitment_breached", _("Commitment breached")
    ADMINISTRATIVE_PENALTY = "administrative_penalty", _("Administrative penalty")
    INSPECTION_VIOLATION = "inspection_violation", _("Violation found in an inspection")
    REWARD = "reward", _("Reward or honour")
    TAX_GRADE = "tax_grade", _("Tax credit grade")
    COURT_JUDGMENT = "court_judgment", _("Court judgment")
    ARREARS = "arrears", _("Arrears")


K = RecordKind
# Untrustworthy conduct (失信): what list rules count by default and what repair concerns.
NEGATIVE_KINDS = frozenset({K.COMMITMENT_BREACHED, K.ADMINISTRATIVE_PENALTY,
                            K.INSPECTION_VIOLATION, K.COURT_JUDGMENT, K.ARREARS})  # fmt: skip
# What an official may record for their department on the records page; the others come
# from the portal itself (commitments) or from department imports (tax grades).
OFFICIAL_KINDS = (K.ADMINISTRATIVE_PENALTY, K.INSPECTION_VIOLATION, K.REWARD,
                  K.COURT_JUDGMENT, K.ARREARS)  # fmt: skip


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    GENERAL = "general", _("General")
    SERIOUS = "serious", _("Serious")


# Publicity windows in months (least, most) by severity, as the national rules on credit
# repair set them (国家发展改革委令2023年第58号, 第十一条): minor — not published or at most
# three months; general — three months to one year; serious — one to three years.
PUBLICITY_MONTHS: dict[str, tuple[int, int]] = {
    Severity.MINOR: (0, 3),
    Severity.GENERAL: (3, 12),
    Severity.SERIOUS: (12, 36),
}
# Unless the recording department says otherwise: the longest window (a minor record is
# not published).
DEFAULT_PUBLICITY_MONTHS = {Severity.MINOR: 0, Severity.GENERAL: 12, Severity.SERIOUS: 36}
# A record that is never published still counts for the grade this long.
UNPUBLISHED_EFFECT_MONTHS = 3


class TaxGrade(models.TextChoices):
    """The tax authority's own scale (纳税信用等级 A/B/M/C/D), kept as it is."""

    A = "A", "A"
    B = "B", "B"
    M = "M", "M"
    C = "C", "C"
    D = "D", "D"


class RecordStatus(models.TextChoices):
    ACTIVE = "active", _("In effect")
    EXPIRED = "expired", _("Expired")
    SUPERSEDED = "superseded", _("Superseded by a newer grade")
    REPAIRED = "repaired", _("Repaired")


R = RecordStatus


def publicity_window(severity: str, occurred_on: date,
                     months: int | None = None) -> tuple[int, date | None, date]:  # fmt: skip
    """(publicity months, last public day + 1 or None when not public, expiry) for a
    record; refuses a window outside what the severity allows."""
    least, most = PUBLICITY_MONTHS[severity]
    months = DEFAULT_PUBLICITY_MONTHS[severity] if months is None else months
    if not least <= months <= most:
        raise ValidationError(
            {"publicity_months": _("%(severity)s records are public for %(least)d to "
                                   "%(most)d months.") % {"severity": Severity(severity).label,
                                                          "least": least, "most": most}}
        )  # fmt: skip
    public_until = add_months(occurred_on, months) if months else None
    expires_on = add_months(occurred_on, max(months, UNPUBLISHED_EFFECT_MONTHS))
    return months, public_until, expires_on


def score_key(kind: str, severity: str, tax_grade: str = "") -> str:
    """The scoring model's key for a record: its kind and severity, or for an imported tax
    grade the grade itself (the tax scale is not mapped onto severities)."""
    if kind == RecordKind.TAX_GRADE:
        return f"{kind}:{tax_grade}"
    return f"{kind}:{severity}"


class CreditRecord(models.Model):
    # No index of the enterprise, the department or the end date alone: each is the first
    # column of an index below (credit_record_ent_status, credit_record_department) or only
    # ever read with the status (credit_record_expiry), and the daily sweep's expiry
    # rewrites every index of each record it ends (a status change is never a HOT update).
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="credit_records",
        verbose_name=_("enterprise"), db_index=False,
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=30, choices=RecordKind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    tax_grade = models.CharField(_("tax credit grade"), max_length=1, blank=True,
                                 choices=TaxGrade.choices)  # fmt: skip
    department = models.ForeignKey(
        "departments.Department", on_delete=models.PROTECT, related_name="credit_records",
        verbose_name=_("source department"), db_index=False,
    )  # fmt: skip
    title = models.CharField(_("title"), max_length=200)
    detail = models.TextField(_("detail"), blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)
    reference = models.CharField(_("document number"), max_length=100, blank=True)
    occurred_on = models.DateField(_("date"))
    publicity_months = models.PositiveSmallIntegerField(_("publicity (months)"))
    public_until = models.DateField(_("public until"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"))
    status = models.CharField(_("status"), max_length=12, choices=RecordStatus.choices,
                              default=RecordStatus.ACTIVE)  # fmt: skip
    # Derived on save: what the scoring model weighs this record by.
    score_key = models.CharField(max_length=50, editable=False)
    # Indexed only where set (Meta.indexes): imports and the sweep's records have neither,
    # and an index of a million NULLs is one more entry for every record the sweep ends.
    commitment = models.ForeignKey(
        "Commitment", null=True, blank=True, on_delete=models.PROTECT, related_name="records",
        verbose_name=_("commitment"), db_index=False,
    )  # fmt: skip
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("recorded by"), db_index=False,
    )  # fmt: skip
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    # Credit information is shared across departments: officials see every department's
    # records of the enterprises in their area (their district, or the city).
    reach = Reach(enterprise="enterprise", district="enterprise__district")
    # A record in effect ends once: its term over, replaced by a newer tax grade, repaired.
    transitions = Transitions(
        {R.ACTIVE: {R.EXPIRED, R.SUPERSEDED, R.REPAIRED}, R.EXPIRED: set(),
         R.SUPERSEDED: set(), R.REPAIRED: set()},
        action="credit.record",
    )  # fmt: skip

    class Meta:
        verbose_name = _("credit record")
        verbose_name_plural = _("credit records")
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["enterprise", "status"], name="credit_record_ent_status"),
            models.Index(fields=["status", "expires_on"], name="credit_record_expiry"),
            models.Index(fields=["department", "-occurred_on"], name="credit_record_department"),
            models.Index(fields=["commitment"], name="credit_record_commitment",
                         condition=Q(commitment__isnull=False)),
            models.Index(fields=["recorded_by"], name="credit_record_recorded_by",
                         condition=Q(recorded_by__isnull=False)),
        ]  # fmt: skip
        constraints = [
            models.CheckConstraint(
                name="credit_record_tax_grade_only_for_tax_grades",
                condition=(Q(kind="tax_grade") & ~Q(tax_grade=""))
                | (~Q(kind="tax_grade") & Q(tax_grade="")),
                violation_error_message=_(
                    "A tax credit grade record names its grade; other records have none."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on} {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.score_key = score_key(self.kind, self.severity, self.tax_grade)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "score_key"}
        super().save(*args, **kwargs)

    @property
    def is_negative(self) -> bool:
        return self.kind in NEGATIVE_KINDS

    def is_public_on(self, day: date) -> bool:
        return (self.status == RecordStatus.ACTIVE and self.public_until is not None
                and self.occurred_on <= day < self.public_until)  # fmt: skip
