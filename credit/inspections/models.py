"""Dual-random inspections (双随机、一公开): campaigns, the population snapshot each
publishes, declared relations, the one draw, the selected enterprises and recusals."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qinqing.scoping import Reach
from qinqing.transitions import Transitions

from ..records.models import CreditRecord

# The share of each grade's enterprises a campaign inspects, in per cent, unless the
# campaign says otherwise; each within the band the city's rules give (A up to 5 %,
# B 5–20 %, C 21–60 %, D 61–100 %): good credit means fewer inspections.
DEFAULT_RATIOS: dict[str, str] = {"A": "5", "B": "10", "C": "30", "D": "70"}
# The band each grade's ratio must lie in (per cent, both ends included), published with
# the campaign and enforced when it is defined and when it is published.
RATIO_BANDS: dict[str, tuple[str, str]] = {
    "A": ("0", "5"), "B": ("5", "20"), "C": ("21", "60"), "D": ("61", "100"),
}  # fmt: skip
# The parties that each commit to a secret at publication and reveal it at the draw.
PARTIES: tuple[str, ...] = ("department", "supervisor")
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
    from (see credit/inspections/snapshots.py); after the draw it can never be drawn again."""

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
    # Fixed at publication (see credit/inspections/draw.py, "qinqing-draw-2"): the named
    # future public event whose value enters the seed, its date (no draw before it), each
    # party's SHA-256 commitment to its secret, and the population per grade. Empty for
    # campaigns published before commitments were kept (they draw as "qinqing-draw-1").
    public_event = models.CharField(_("public event"), max_length=200, blank=True)
    public_event_on = models.DateField(_("date of the public event"), null=True, blank=True)
    commitments = models.JSONField(_("commitments (SHA-256)"), default=dict, blank=True)
    strata_sizes = models.JSONField(_("population per grade"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))  # fmt: skip
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    # The department's campaigns; members of enterprises never see a campaign.
    reach = Reach(department="department")
    # Published once (the population's hash fixed), drawn once.
    transitions = Transitions(
        {CampaignStatus.DRAFT: {CampaignStatus.PUBLISHED},
         CampaignStatus.PUBLISHED: {CampaignStatus.DRAWN}, CampaignStatus.DRAWN: set()},
        action="credit.campaign",
        audit_fields=("snapshot_sha256", "algorithm", "population"),
    )  # fmt: skip

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
    # Each party's revealed secret, or None when it did not reveal (the published fallback
    # then stands in for it: credit/inspections/draw.py, effective_reveals).
    reveals = models.JSONField(_("revealed secrets"), default=dict, blank=True)
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


class DrawFiles(models.Model):
    """The draw's published files (credit/inspections/publication.py): the population and
    the selection as keyed hashes of USCCs, and the description that ties them together,
    kept as published so that a download is the same bytes every time."""

    draw = models.OneToOneField(InspectionDraw, on_delete=models.CASCADE, related_name="files")
    description = models.BinaryField()
    population = models.BinaryField()  # zlib-compressed
    selection = models.BinaryField()  # zlib-compressed

    def __str__(self) -> str:
        return f"files of draw {self.draw_id}"


class IdList(models.JSONField):
    """A JSON list of ids. `field__includes=<id>` finds the rows whose list holds the id on
    SQLite and PostgreSQL alike (JSONField's own `contains` is not available on SQLite)."""


@IdList.register_lookup
class IdListIncludes(models.Lookup):
    lookup_name = "includes"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        value = int(getattr(self.rhs, "pk", self.rhs))  # an id, or the user it names
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

    # The campaign's department, the enterprise's members, and the inspectors assigned.
    reach = Reach(enterprise="enterprise", department="draw__campaign__department",
                  own=("inspectors__includes",))  # fmt: skip
    # The result is recorded once and published at once.
    transitions = Transitions(
        {ResultStatus.PENDING: {ResultStatus.CLEAN, ResultStatus.VIOLATION},
         ResultStatus.CLEAN: set(), ResultStatus.VIOLATION: set()},
        action="credit.inspection",
        field="result",
        audit_fields=("severity",),
    )  # fmt: skip

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

    # Rows are written as recusals; an "assigned" row of before migration 0004 may recuse.
    transitions = Transitions(
        {AssignmentStatus.ASSIGNED: {AssignmentStatus.RECUSED}, AssignmentStatus.RECUSED: set()},
        action="credit.assignment",
    )

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["selection", "inspector"],
                                               name="one_assignment_per_inspector")]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.inspector_id} #{self.position} {self.status}"
