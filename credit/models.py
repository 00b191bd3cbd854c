"""Credit: records about enterprises, the scoring model that grades them, the grades and
their history, the red and black lists with the rules that fill them, and commitments
(the notice an enterprise accepted and what will be checked afterwards).

Other apps learn an enterprise's grade and list standing only through the data hub's
facts (credit.grade, credit.red_list, credit.black_list), which this app provides.
"""

from __future__ import annotations

import calendar
import hashlib
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qinqing.i18n import prefers_chinese


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has no such day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- Records ------------------------------------------------------------------------------


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
POSITIVE_KINDS = frozenset({K.COMMITMENT_FULFILLED, K.REWARD})
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
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="credit_records",
        verbose_name=_("enterprise"),
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=30, choices=RecordKind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    tax_grade = models.CharField(_("tax credit grade"), max_length=1, blank=True,
                                 choices=TaxGrade.choices)  # fmt: skip
    department = models.ForeignKey(
        "departments.Department", on_delete=models.PROTECT, related_name="credit_records",
        verbose_name=_("source department"),
    )  # fmt: skip
    title = models.CharField(_("title"), max_length=200)
    detail = models.TextField(_("detail"), blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)
    reference = models.CharField(_("document number"), max_length=100, blank=True)
    occurred_on = models.DateField(_("date"))
    publicity_months = models.PositiveSmallIntegerField(_("publicity (months)"))
    public_until = models.DateField(_("public until"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), db_index=True)
    status = models.CharField(_("status"), max_length=12, choices=RecordStatus.choices,
                              default=RecordStatus.ACTIVE)  # fmt: skip
    # Derived on save: what the scoring model weighs this record by.
    score_key = models.CharField(max_length=50, editable=False)
    commitment = models.ForeignKey(
        "Commitment", null=True, blank=True, on_delete=models.PROTECT, related_name="records",
        verbose_name=_("commitment"),
    )  # fmt: skip
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("recorded by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("credit record")
        verbose_name_plural = _("credit records")
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["enterprise", "status"], name="credit_record_ent_status"),
            models.Index(fields=["status", "expires_on"], name="credit_record_expiry"),
            models.Index(fields=["department", "-occurred_on"], name="credit_record_department"),
        ]
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

    @property
    def is_positive(self) -> bool:
        return self.kind in POSITIVE_KINDS

    def is_public_on(self, day: date) -> bool:
        return (self.status == RecordStatus.ACTIVE and self.public_until is not None
                and self.occurred_on <= day < self.public_until)  # fmt: skip


# --- The scoring model --------------------------------------------------------------------


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
        from .scoring import check_model

        check_model(self.base_score, self.weights, self.thresholds)


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

    enterprise = models.OneToOneField(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="credit_grade",
        verbose_name=_("enterprise"),
    )  # fmt: skip
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices)
    score = models.SmallIntegerField(_("score"))
    model = models.ForeignKey(ScoringModel, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("scoring model"))  # fmt: skip
    explanation = models.JSONField(_("explanation"), null=True, blank=True)
    grade_since = models.DateField(_("grade held since"))
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("credit grade")
        verbose_name_plural = _("credit grades")
        indexes = [models.Index(fields=["grade", "grade_since"], name="credit_grade_since")]

    def __str__(self) -> str:
        return f"{self.enterprise_id}: {self.grade} ({self.score})"


class GradeChange(models.Model):
    """The grade history: one row each time an enterprise's grade or score changed."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="credit_grade_changes",
        verbose_name=_("enterprise"),
    )  # fmt: skip
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices)
    score = models.SmallIntegerField(_("score"))
    previous_grade = models.CharField(_("previous grade"), max_length=1, blank=True)
    previous_score = models.SmallIntegerField(_("previous score"), null=True, blank=True)
    model = models.ForeignKey(ScoringModel, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("scoring model"))  # fmt: skip
    explanation = models.JSONField(_("explanation"), null=True, blank=True)
    cause = models.CharField(_("cause"), max_length=100)
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("grade change")
        verbose_name_plural = _("grade changes")
        ordering = ["-computed_at", "-id"]
        indexes = [models.Index(fields=["enterprise", "-computed_at"], name="credit_grade_hist")]

    def __str__(self) -> str:
        return f"{self.enterprise_id}: {self.previous_grade or '–'} → {self.grade}"


# --- Red and black lists ------------------------------------------------------------------


class ListKind(models.TextChoices):
    RED = "red", _("Red list (trustworthy)")
    BLACK = "black", _("Black list (untrustworthy)")


class ListRule(models.Model):
    """When an enterprise goes on a list, as data. `condition` is in the small language of
    credit/listrules.py, e.g. {"any": [{"records": {"severities": ["serious"],
    "within_months": 12}, "at_least": 1}, {"records": {"kinds": ["commitment_breached"],
    "within_months": 12}, "at_least": 2}]}."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    list_kind = models.CharField(_("list"), max_length=10, choices=ListKind.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=250)
    legal_basis = models.TextField(_("legal basis"))
    condition = models.JSONField(_("condition"))
    duration_months = models.PositiveSmallIntegerField(_("listed for (months)"))
    ends_when_condition_fails = models.BooleanField(
        _("ends when the condition no longer holds"), default=False,
        help_text=_("Red lists usually: an enterprise that stops qualifying leaves the list. "
                    "Black-list entries usually run their term."),
    )  # fmt: skip
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("list rule")
        verbose_name_plural = _("list rules")
        ordering = ["list_kind", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_zh if prefers_chinese() else self.name_en

    def clean(self) -> None:
        from .listrules import RuleError, parse_condition

        try:
            parse_condition(self.condition)
        except RuleError as error:
            raise ValidationError({"condition": str(error)}) from error


class EntryStatus(models.TextChoices):
    CURRENT = "current", _("Current")
    EXPIRED = "expired", _("Expired")
    REMOVED = "removed", _("Removed")


class ListEntry(models.Model):
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="credit_list_entries",
        verbose_name=_("enterprise"),
    )  # fmt: skip
    list_kind = models.CharField(_("list"), max_length=10, choices=ListKind.choices)
    rule = models.ForeignKey(ListRule, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="entries", verbose_name=_("rule"))  # fmt: skip
    legal_basis = models.TextField(_("legal basis"))
    source = models.CharField(_("source"), max_length=200)
    source_department = models.ForeignKey(
        "departments.Department", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("source department"),
    )  # fmt: skip
    reason = models.TextField(_("reason"))
    evidence = models.JSONField(_("evidence"), default=list, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(_("status"), max_length=10, choices=EntryStatus.choices,
                              default=EntryStatus.CURRENT)  # fmt: skip
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_reason = models.CharField(_("why it ended"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("created by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")
        ordering = ["-valid_from", "-id"]
        constraints = [
            # Two racing rule runs, or a rule and an official: one current entry per list.
            models.UniqueConstraint(
                fields=["enterprise", "list_kind"],
                condition=Q(status="current"),
                name="one_current_entry_per_list",
            ),
            models.CheckConstraint(
                name="list_entry_window_not_empty",
                condition=Q(valid_until__gte=models.F("valid_from")),
            ),
        ]
        indexes = [models.Index(fields=["status", "valid_until"], name="credit_entry_expiry")]

    def __str__(self) -> str:
        return f"{self.get_list_kind_display()} {self.enterprise_id} {self.valid_from}"

    def in_effect_on(self, day: date) -> bool:
        return self.status == EntryStatus.CURRENT and self.valid_from <= day <= self.valid_until


# --- Commitments --------------------------------------------------------------------------


class ImmutableNotice(Exception):
    """A notice that may have been accepted is evidence: a change is a new version."""


class CommitmentNotice(models.Model):
    """The text an enterprise accepts when it commits (告知承诺书), versioned. `sha256` is
    the SHA-256 of `binding_text` (the Chinese text, a blank line, the consequences), in
    UTF-8, so a commitment proves exactly which words were accepted."""

    code = models.SlugField(_("code"), max_length=60)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=250, blank=True)
    text = models.TextField(_("text (Chinese)"))
    text_en = models.TextField(_("text (English)"), blank=True)
    consequences = models.TextField(_("consequences of an untrue commitment (Chinese)"))
    consequences_en = models.TextField(_("consequences (English)"), blank=True)
    sha256 = models.CharField(_("SHA-256 of the text"), max_length=64, editable=False)
    in_force_from = models.DateTimeField(_("in force from"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("commitment notice")
        verbose_name_plural = _("commitment notices")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="one_notice_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        digest = self.compute_sha256()
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("sha256", flat=True).first()
            if stored is not None and stored != digest:
                raise ImmutableNotice(f"notice {self}: the text cannot change; add a version")
        self.sha256 = digest
        super().save(*args, **kwargs)

    @property
    def binding_text(self) -> str:
        return f"{self.text}\n\n{self.consequences}"

    def compute_sha256(self) -> str:
        return hashlib.sha256(self.binding_text.encode("utf-8")).hexdigest()

    @property
    def display_title(self) -> str:
        return self.title if prefers_chinese() or not self.title_en else self.title_en

    @property
    def display_text(self) -> str:
        return self.text if prefers_chinese() or not self.text_en else self.text_en

    @property
    def display_consequences(self) -> str:
        if prefers_chinese() or not self.consequences_en:
            return self.consequences
        return self.consequences_en


class CommitmentStatus(models.TextChoices):
    MADE = "made", _("Made")
    VERIFYING = "verifying", _("Being verified")
    FULFILLED = "fulfilled", _("Fulfilled")
    BREACHED = "breached", _("Breached")
    PENALISED = "penalised", _("Penalised")
    REPAIRED = "repaired", _("Repaired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


C = CommitmentStatus
# The only ways a commitment's status may change; the services check this table.
TRANSITIONS: dict[str, set[str]] = {
    C.MADE: {C.VERIFYING, C.WITHDRAWN},
    C.VERIFYING: {C.FULFILLED, C.BREACHED, C.WITHDRAWN},
    C.FULFILLED: set(),
    C.BREACHED: {C.PENALISED},
    C.PENALISED: {C.REPAIRED},
    C.REPAIRED: set(),
    C.WITHDRAWN: set(),
}


class SubjectKind(models.TextChoices):
    APPROVAL_ITEM = "approval_item", _("Approval item")
    SUBSIDY_CLAIM = "subsidy_claim", _("Subsidy claim")
    STANDALONE = "standalone", _("Standalone commitment")


class Commitment(models.Model):
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="commitments",
        verbose_name=_("enterprise"),
    )  # fmt: skip
    notice = models.ForeignKey(CommitmentNotice, on_delete=models.PROTECT,
                               related_name="commitments", verbose_name=_("notice"))  # fmt: skip
    text_sha256 = models.CharField(_("SHA-256 of the accepted text"), max_length=64)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("accepted by"),
    )  # fmt: skip
    accepted_at = models.DateTimeField(_("accepted"))
    subject_kind = models.CharField(
        pgettext_lazy("commitment", "subject"), max_length=20, choices=SubjectKind.choices
    )
    subject_ref = models.CharField(_("subject reference"), max_length=100, blank=True,
                                   db_index=True)  # fmt: skip
    verify_what = models.TextField(_("what will be verified"))
    verify_by = models.DateTimeField(_("verified by"))
    department = models.ForeignKey(
        "departments.Department", on_delete=models.PROTECT, related_name="commitments",
        verbose_name=_("verifying department"),
    )  # fmt: skip
    status = models.CharField(_("status"), max_length=12, choices=CommitmentStatus.choices,
                              default=CommitmentStatus.MADE)  # fmt: skip
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("decided by"),
    )  # fmt: skip
    reason = models.TextField(_("reason or note"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["-accepted_at", "-id"]
        indexes = [
            models.Index(fields=["department", "status"], name="credit_commit_dept_status"),
            models.Index(fields=["enterprise", "status"], name="credit_commit_ent_status"),
        ]

    def __str__(self) -> str:
        return f"{self.notice.code} {self.subject_ref or self.get_subject_kind_display()}"


# --- Dual-random inspections (双随机、一公开) --------------------------------------------------

# The share of each grade's enterprises a campaign inspects, in per cent, unless the
# campaign says otherwise; each within the band the city's rules give (A up to 5 %,
# B 5–20 %, C 21–60 %, D 61–100 %): good credit means fewer inspections.
RATIO_BANDS: dict[str, tuple[int, int]] = {"A": (0, 5), "B": (5, 20), "C": (21, 60), "D": (61, 100)}
DEFAULT_RATIOS: dict[str, str] = {"A": "5", "B": "10", "C": "30", "D": "70"}
MIN_INSPECTORS_PER_ENTERPRISE = 2
# Results are published within 20 working days of the draw.
RESULT_PUBLICATION_DAYS = 20


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published (awaiting the draw)")
    DRAWN = "drawn", _("Drawn")


class InspectionCampaign(models.Model):
    """A dual-random inspection campaign: what is inspected, whom (scope), how many of each
    grade, by whom. Published before the draw with the hash of the population it draws
    from (see credit/inspections.py); after the draw it can never be drawn again."""

    title = models.CharField(_("title"), max_length=200)
    department = models.ForeignKey(
        "departments.Department", on_delete=models.PROTECT, related_name="inspection_campaigns",
        verbose_name=_("department"),
    )  # fmt: skip
    items = models.JSONField(_("inspection items"), default=list)
    districts = models.ManyToManyField("departments.District", blank=True, related_name="+",
                                       verbose_name=_("districts"))  # fmt: skip
    industries = models.JSONField(_("industry sections"), default=list, blank=True)
    ratios = models.JSONField(_("sampling ratio per grade (%)"), default=dict)
    inspectors_per_enterprise = models.PositiveSmallIntegerField(
        _("inspectors per enterprise"), default=MIN_INSPECTORS_PER_ENTERPRISE
    )
    inspectors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+",
                                        verbose_name=_("inspector pool"))  # fmt: skip
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices,
                              default=CampaignStatus.DRAFT)  # fmt: skip
    algorithm = models.CharField(_("draw algorithm"), max_length=40, blank=True)
    snapshot_sha256 = models.CharField(_("SHA-256 of the population snapshot"), max_length=64,
                                       blank=True)  # fmt: skip
    population = models.PositiveIntegerField(_("population"), default=0)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))  # fmt: skip
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("inspection campaign")
        verbose_name_plural = _("inspection campaigns")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(name="campaign_two_inspectors_at_least",
                                   condition=Q(inspectors_per_enterprise__gte=2)),
            models.CheckConstraint(
                name="campaign_published_has_snapshot",
                condition=Q(status="draft")
                | (~Q(snapshot_sha256="") & Q(published_at__isnull=False)),
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.title


class PopulationSnapshot(models.Model):
    """The canonical text the campaign's published hash is of (zlib-compressed UTF-8):
    what anyone needs, with the public value, to recompute the draw."""

    campaign = models.OneToOneField(InspectionCampaign, on_delete=models.CASCADE,
                                    related_name="snapshot")  # fmt: skip
    data = models.BinaryField()
    # The enterprises' ids in the order of the snapshot's enterprise lines (zlib-compressed
    # 64-bit little-endian integers), read with the population at publication so that the
    # draw does not read the register again to find them; not part of the published hash.
    # Empty for snapshots published before it was kept.
    enterprise_ids = models.BinaryField(blank=True, default=b"")

    def __str__(self) -> str:
        return f"snapshot of campaign {self.campaign_id}"


class InspectorRelation(models.Model):
    """A relation an official has declared with an enterprise (kin, former employer,
    shareholding...): they are never drawn to inspect it."""

    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="declared_relations",
                                  verbose_name=_("inspector"))  # fmt: skip
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE,
                                   related_name="+", verbose_name=_("enterprise"))  # fmt: skip
    relation = models.CharField(_("relation"), max_length=200)
    created_at = models.DateTimeField(_("declared"), auto_now_add=True)

    class Meta:
        verbose_name = _("declared relation")
        verbose_name_plural = _("declared relations")
        constraints = [models.UniqueConstraint(fields=["inspector", "enterprise"],
                                               name="one_relation_per_pair")]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.inspector_id} ~ {self.enterprise_id}: {self.relation}"


class InspectionDraw(models.Model):
    """The one draw of a campaign: a database constraint (one-to-one), not a hope."""

    campaign = models.OneToOneField(InspectionCampaign, on_delete=models.PROTECT,
                                    related_name="draw", verbose_name=_("campaign"))  # fmt: skip
    public_value = models.CharField(_("public value"), max_length=200)
    seed = models.CharField(_("seed (SHA-256)"), max_length=64)
    algorithm = models.CharField(_("algorithm"), max_length=40)
    strata = models.JSONField(_("strata"), default=dict)
    drawn_at = models.DateTimeField(_("drawn"))
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("drawn by"))  # fmt: skip
    results_due = models.DateTimeField(_("results due"))

    class Meta:
        verbose_name = _("inspection draw")
        verbose_name_plural = _("inspection draws")

    def __str__(self) -> str:
        return f"draw of campaign {self.campaign_id}"


class IdList(models.JSONField):
    """A JSON list of ids. `field__includes=<id>` finds the rows whose list holds the id on
    SQLite and PostgreSQL alike (JSONField's own `contains` is not available on SQLite)."""


@IdList.register_lookup
class IdListIncludes(models.Lookup):
    lookup_name = "includes"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        value = int(self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} @> %s::jsonb", [*lhs_params, f"[{value}]"]
        return (
            f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value = %s)",  # noqa: S608
            [*lhs_params, value],
        )


class ResultStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the result")
    CLEAN = "clean", _("No violation found")
    VIOLATION = "violation", _("Violation found")


class InspectionSelection(models.Model):
    """An enterprise the draw selected, its rank in its grade stratum, and the result."""

    # Indexes kept to those a draw of a hundred thousand rows and more needs to write: the
    # draw's selections are found through the (draw, enterprise) constraint's index, and
    # the two foreign keys set only with a result have partial indexes (see Meta).
    draw = models.ForeignKey(InspectionDraw, on_delete=models.PROTECT, related_name="selections",
                             db_index=False)  # fmt: skip
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT,
                                   related_name="inspections",
                                   verbose_name=_("enterprise"))  # fmt: skip
    grade = models.CharField(_("grade"), max_length=1)
    rank = models.PositiveIntegerField(_("rank in stratum"))
    # The inspectors (user ids) in the order they were assigned: the draw's first
    # `inspectors_per_enterprise` of the enterprise's ranking, then each recusal's
    # replacement. Kept on the row, not one row each: a draw over a million enterprises
    # writes two thirds fewer rows. Those who recused have an InspectorAssignment row.
    inspectors = IdList(_("inspectors"), default=list, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=ResultStatus.choices,
                              default=ResultStatus.PENDING)  # fmt: skip
    findings = models.TextField(_("findings"), blank=True)
    severity = models.CharField(_("severity"), max_length=10, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    db_index=False)  # fmt: skip
    record = models.ForeignKey(CreditRecord, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", db_index=False)  # fmt: skip

    class Meta:
        verbose_name = _("inspected enterprise")
        verbose_name_plural = _("inspected enterprises")
        ordering = ["grade", "rank"]
        constraints = [models.UniqueConstraint(fields=["draw", "enterprise"],
                                               name="one_selection_per_draw")]  # fmt: skip
        indexes = [
            models.Index(fields=["record"], condition=Q(record__isnull=False),
                         name="selection_record_idx"),
            models.Index(fields=["recorded_by"], condition=Q(recorded_by__isnull=False),
                         name="selection_recorded_by_idx"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.enterprise_id} ({self.grade} #{self.rank})"


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    RECUSED = "recused", _("Recused")


class InspectorAssignment(models.Model):
    """A recusal: the inspector at `position` in the selection's `inspectors` stepped aside
    (status "recused", with the reason). The inspectors still assigned have no row (see
    InspectionSelection.inspectors); rows with status "assigned" were written before
    migration 0004, which folded them into that list."""

    selection = models.ForeignKey(InspectionSelection, on_delete=models.CASCADE,
                                  related_name="assignments")  # fmt: skip
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="inspection_assignments",
                                  verbose_name=_("inspector"))  # fmt: skip
    position = models.PositiveSmallIntegerField(_("position in the ranking"))
    status = models.CharField(_("status"), max_length=10, choices=AssignmentStatus.choices,
                              default=AssignmentStatus.ASSIGNED)  # fmt: skip
    recusal_reason = models.CharField(_("reason for recusal"), max_length=300, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["selection", "inspector"],
                                               name="one_assignment_per_inspector")]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.inspector_id} #{self.position} {self.status}"


# --- Credit repair (信用修复) ---------------------------------------------------------------

# How long after the record's date an enterprise may apply to repair it, in months, by
# severity (国家发展改革委令2023年第58号 sets the least publicity before repair; the city
# keeps it here as data): a minor record may be repaired at once.
MIN_REPAIR_MONTHS: dict[str, int] = {Severity.MINOR: 0, Severity.GENERAL: 3, Severity.SERIOUS: 12}


class RepairStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting a decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class RepairApplication(models.Model):
    record = models.ForeignKey(CreditRecord, on_delete=models.PROTECT,
                               related_name="repair_applications",
                               verbose_name=_("record"))  # fmt: skip
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("enterprise"))  # fmt: skip
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("applicant"))  # fmt: skip
    evidence = models.TextField(_("evidence of correction"))
    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("commitment"))  # fmt: skip
    status = models.CharField(_("status"), max_length=10, choices=RepairStatus.choices,
                              default=RepairStatus.PENDING)  # fmt: skip
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("applied"), auto_now_add=True)

    class Meta:
        verbose_name = _("repair application")
        verbose_name_plural = _("repair applications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["record"], condition=Q(status="pending"),
                                               name="one_pending_repair_per_record")]  # fmt: skip

    def __str__(self) -> str:
        return f"repair of record {self.record_id}: {self.status}"
