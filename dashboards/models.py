"""The dashboards' read model: counts and sums, pre-aggregated by the dimensions every
figure filters by, rebuilt from the other apps' tables by `refresh.refresh_all` and, on
PostgreSQL, kept current between rebuilds by the changes `deltas` records (`Change`).

One narrow table serves every figure. A row says: for this subject (e.g. "payments"), in
this month, for this policy, department, district and industry section, with this key
(a status, a grade, a histogram bucket…), there were `n` of them worth `amount`. A page sums
the rows its filters select, so a city-wide figure over a million claims reads a few
thousand rows instead of a million. Identifiers are plain integers, not foreign keys: the
rows are derived data, rebuilt wholesale for repair, and must never hold up a delete
elsewhere. On PostgreSQL a unique index on the whole key (NULLs equal, created by the
migration) is what a change is added by (`deltas.KEY`).
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

# The industry of a row whose enterprise has no industry section: an enterprise still being
# established (its application has no enterprise until the licence is issued), or a data
# call about no enterprise. Not a GB/T 4754 section letter (those are A to T); "" is kept
# for the rollup rows, summed over every industry.
UNKNOWN_INDUSTRY = "-"
UNKNOWN_INDUSTRY_LABEL = _("No industry yet (enterprise not yet registered)")


class Tally(models.Model):
    subject = models.CharField(_("subject"), max_length=40)
    # "di": by district and industry, as built; "": summed over both. A city-wide figure
    # reads the few thousand "" rows, not the hundreds of thousands of the full grain.
    grain = models.CharField(_("grain"), max_length=2, blank=True, db_default="di")
    # First day of the month the event fell in; empty for snapshots (grades, open items).
    month = models.DateField(_("month"), null=True, blank=True)
    policy_id = models.IntegerField(_("policy"), null=True, blank=True)
    department_id = models.IntegerField(_("department"), null=True, blank=True)
    district_id = models.IntegerField(_("district"), null=True, blank=True)
    # A GB/T 4754 section letter, UNKNOWN_INDUSTRY, or "" on the rollup rows.
    industry = models.CharField(_("industry section"), max_length=1, blank=True, db_default="")
    # A second breakdown where a subject has one (approval items: the item type).
    category_id = models.IntegerField(_("category"), null=True, blank=True)
    key = models.CharField(_("key"), max_length=40, blank=True, db_default="")
    # Histogram subjects: the bucket a duration fell in (see `histogram.py`).
    bucket = models.SmallIntegerField(_("bucket"), null=True, blank=True)
    n = models.BigIntegerField(_("count"), db_default=0)
    amount = models.DecimalField(
        _("amount"), max_digits=18, decimal_places=2, db_default=Decimal("0.00")
    )

    class Meta:
        verbose_name = _("dashboard tally")
        verbose_name_plural = _("dashboard tallies")
        indexes = [
            models.Index(fields=["subject", "grain", "month"], name="tally_month"),
            models.Index(fields=["subject", "grain", "district_id"], name="tally_district"),
            models.Index(fields=["subject", "grain", "department_id"], name="tally_department"),
            models.Index(fields=["subject", "grain", "industry"], name="tally_industry"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.month or ''} {self.key} {self.n}"


class Change(models.Model):
    """A change to the rows a tally counts, not yet applied to the tallies: written by the
    triggers of `dashboards.deltas` (PostgreSQL only), in a tally's shape and signed (a row
    leaving a key counts -1 there), drained by `deltas.drain`. No indexes: it is only ever
    read whole, and emptied by the same statement."""

    subject = models.CharField(max_length=40)
    month = models.DateField(null=True)
    policy_id = models.IntegerField(null=True)
    department_id = models.IntegerField(null=True)
    district_id = models.IntegerField(null=True)
    industry = models.CharField(max_length=1)
    category_id = models.IntegerField(null=True)
    key = models.CharField(max_length=40)
    bucket = models.SmallIntegerField(null=True)
    n = models.BigIntegerField()
    amount = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = _("dashboard change")
        verbose_name_plural = _("dashboard changes")

    def __str__(self) -> str:
        return f"{self.subject} {self.key} {self.n:+d}"


class Refresh(models.Model):
    """One rebuild of the tallies (kind "full"), or one bringing them current (kind
    "changes": the recorded changes applied, the clock's subjects rebuilt): when it ran and
    how long each part took, so a page can say how fresh its figures are and the benchmark
    can report the cost."""

    class Kind(models.TextChoices):
        FULL = "full", _("Full rebuild")
        CHANGES = "changes", _("Changes applied")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.FULL)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    seconds = models.JSONField(_("seconds per subject"), default=dict)
    rows = models.PositiveIntegerField(_("rows"), default=0)

    class Meta:
        verbose_name = _("dashboard refresh")
        verbose_name_plural = _("dashboard refreshes")
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"
