"""The hub's records: every data call and the refreshes of the bulk extracts."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from departments.models import Department
from qinqing.scoping import Reach
from qinqing.transitions import Transitions


class CallOutcome(models.TextChoices):
    OK = "ok", _("Answered")
    CACHED = "cached", _("Answered from cache")
    TIMEOUT = "timeout", _("Timed out")
    UNAVAILABLE = "unavailable", _("Department unavailable")
    MALFORMED = "malformed", _("Malformed answer")
    NOT_FOUND = "not_found", _("Not found")
    CIRCUIT_OPEN = "circuit_open", _("Not asked: department failing")
    NO_PROVIDER = "no_provider", _("Unknown: no adapter configured")


class DataCall(models.Model):
    """One read of a department's data: who asked, for what, and how it went.

    The values themselves are kept by the record that used them (a decision stores its
    snapshot); the log keeps a hash of what came back, so the two can be matched.
    """

    # Members: reads of their enterprises' data; a private person: reads of their own data;
    # officials: calls to their department (of their district's enterprises when
    # district-scoped) and the calls they made.
    reach = Reach(
        enterprise="enterprise",
        person="person",
        department="department",
        district="enterprise__district",
        own=("requested_by",),
    )

    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="data_calls",
        verbose_name=_("department"),
    )
    interface = models.CharField(_("interface"), max_length=60)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="data_calls",
        verbose_name=_("enterprise"),
        help_text=_("Empty for a bulk extract covering every enterprise."),
    )
    # A read about a private person (issue #26) names the person and no enterprise, so
    # the person's employer never sees it.
    person = models.ForeignKey(
        "enterprises.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="data_calls",
        verbose_name=_("person"),
    )
    fact_names = models.JSONField(_("facts"), default=list)
    purpose = models.CharField(_("purpose"), max_length=200)
    requested_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_by_label = models.CharField(_("requested by"), max_length=150, blank=True)
    transport = models.CharField(_("transport"), max_length=20)
    started_at = models.DateTimeField(_("started"), db_index=True)
    latency_ms = models.FloatField(_("latency (ms)"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=CallOutcome.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    response_hash = models.CharField(_("response hash"), max_length=64, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=1)

    class Meta:
        verbose_name = _("department data call")
        verbose_name_plural = _("department data calls")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["enterprise", "-started_at"]),
            models.Index(fields=["department", "-started_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.interface} {self.started_at:%Y-%m-%d %H:%M:%S} {self.outcome}"

    @property
    def succeeded(self) -> bool:
        return self.outcome in (CallOutcome.OK, CallOutcome.CACHED)


class Subject(models.TextChoices):
    """Whom a fact, an extract or a data call describes."""

    ENTERPRISE = "enterprise", _("enterprise")
    PERSON = "person", _("person")


class SnapshotRefresh(models.Model):
    """One refresh of a department's bulk extract (one call, logged with its purpose)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="snapshot_refreshes",
        verbose_name=_("department"),
    )  # fmt: skip
    # Whom the extract's rows describe: enterprises (one row per enterprise) or private
    # persons (one row per person of the register, issue #26); a department has one of each.
    subject = models.CharField(
        _("subject"), max_length=10, choices=Subject.choices, default=Subject.ENTERPRISE
    )
    fact_names = models.JSONField(_("facts"), default=list)
    as_of = models.DateField(_("as of"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    transitions = Transitions(
        {Status.RUNNING: {Status.DONE, Status.FAILED}, Status.DONE: set(), Status.FAILED: set()},
        action="snapshot_refresh",
        audit_fields=("rows",),
    )

    class Meta:
        verbose_name = _("snapshot refresh")
        verbose_name_plural = _("snapshot refreshes")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.department} {self.started_at:%Y-%m-%d %H:%M}"


class FactCorrection(models.Model):
    """A department's correction of one fact about one subject — an enterprise or a person
    (exactly one: a database constraint) — and period, decided on a fact dispute
    (disputes/): the hub answers it instead of the department's value from then on
    (datahub.corrections), in single answers and in the extracts of that subject. Written
    once, never edited: a later correction of the same fact and period supersedes it (the
    newest wins)."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fact_corrections",
        verbose_name=_("enterprise"),
    )
    # A fact about a private person (PERSON_CATALOGUE, issue #26); `enterprise` is then
    # empty, so the person's employer never sees it.
    person = models.ForeignKey(
        "enterprises.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fact_corrections",
        verbose_name=_("person"),
    )
    fact = models.CharField(_("fact"), max_length=80)
    # The catalogue's period key the value describes ("2026-10", "FY2025"); empty for a
    # fact describing the present state (a grade, a status): it holds from now on.
    period = models.CharField(_("period"), max_length=20, blank=True)
    value = models.JSONField(_("corrected value"))
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    dispute_reference = models.CharField(_("dispute no."), max_length=30)
    corrected_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("corrected by"),
    )
    corrected_by_label = models.CharField(_("official"), max_length=150)
    corrected_at = models.DateTimeField(_("corrected"), db_index=True)

    # Members: their enterprises' corrections; the person: their own; officials: their
    # department's (a person's: the city-wide officials, as for the person's disputes).
    reach = Reach(enterprise="enterprise", person="person", department="department",
                  district="enterprise__district")  # fmt: skip

    class Meta:
        verbose_name = _("fact correction")
        verbose_name_plural = _("fact corrections")
        ordering = ["-corrected_at", "-id"]
        indexes = [
            models.Index(fields=["enterprise", "fact", "period", "-corrected_at"]),
            models.Index(fields=["person", "fact", "period", "-corrected_at"],
                         name="datahub_correction_person"),
        ]  # fmt: skip
        constraints = [
            models.CheckConstraint(
                name="datahub_correction_one_subject",
                condition=(
                    models.Q(enterprise__isnull=False, person__isnull=True)
                    | models.Q(enterprise__isnull=True, person__isnull=False)
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fact} {self.period} {self.dispute_reference}"
