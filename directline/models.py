"""Enterprise requests to the government, routed to a department and answered in time.

Categories (with their time limits in working hours) and routing rules are data that
administrators edit. A request goes to the department of the first rule that fits, or to
the coordinating office (department COORDINATING_OFFICE) when none does; every hop is a
`RequestHop` row. The clock is the shared working-hours clock (qinqing.workhours).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from qinqing.private_files import StoredAttachment
from qinqing.scoping import Reach
from qinqing.transitions import Transitions
from qinqing.workhours.cases import CaseMessage, CasePause, ClockedCase
from qinqing.workhours.clock import TimeLimit

from .storage import private_storage

# The department that receives what no rule fits and forwards it: the city's data
# resources bureau, which runs Qinqing Online.
COORDINATING_OFFICE = "data"


def _bilingual(zh: str, en: str) -> str:
    return en if (get_language() or "zh-hans").startswith("en") and en else zh


class Category(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    limit_hours = models.PositiveIntegerField(
        _("time limit (working hours)"), help_text=_("Office hours on working days.")
    )

    class Meta:
        verbose_name = _("request category")
        verbose_name_plural = _("request categories")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _bilingual(self.name_zh, self.name_en)


class RoutingRule(models.Model):
    """Sends a request to a department when every condition given holds (empty: any).
    Rules are tried by priority (lowest first)."""

    priority = models.PositiveIntegerField(_("priority"), default=100)
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("category")
    )
    keywords = models.CharField(
        _("keywords"),
        max_length=300,
        blank=True,
        help_text=_("Separated by commas; any one in the subject or description matches."),
    )
    district = models.ForeignKey(
        "departments.District",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
    )
    industry_section = models.CharField(_("industry section"), max_length=1, blank=True)
    department = models.ForeignKey(
        "departments.Department",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("department"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["priority", "pk"]

    def __str__(self) -> str:
        return f"#{self.pk} → {self.department}"

    def keyword_list(self) -> list[str]:
        return [
            word.strip() for word in self.keywords.replace("，", ",").split(",") if word.strip()
        ]


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Awaiting the department's answer")
    INFO_REQUESTED = "info_requested", _("More information requested")
    ANSWERED = "answered", _("Answered: please rate")
    REOPENED = "reopened", _("Reopened to the supervisor")
    CLOSED = "closed", _("Closed")


S = RequestStatus
# The one table of allowed moves (qinqing.transitions, through services.status.move).
TRANSITIONS: dict[str, set[str]] = {
    S.OPEN: {S.INFO_REQUESTED, S.ANSWERED},
    # Back to where it was asked from: open, or reopened (the supervisor asked).
    S.INFO_REQUESTED: {S.OPEN, S.REOPENED},
    S.ANSWERED: {S.CLOSED, S.REOPENED},
    S.REOPENED: {S.ANSWERED, S.INFO_REQUESTED},
    S.CLOSED: set(),
}
# The department's clock runs (or is paused) in these states.
OPEN_STATES = frozenset({S.OPEN, S.INFO_REQUESTED, S.REOPENED})


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class Request(ClockedCase):
    reference = models.CharField(_("reference"), max_length=30, unique=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        on_delete=models.PROTECT,
        related_name="direct_requests",
        verbose_name=_("enterprise"),
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="direct_requests",
        verbose_name=_("raised by"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="requests", verbose_name=_("category")
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    district = models.ForeignKey(
        "departments.District",
        on_delete=models.PROTECT,
        related_name="direct_requests",
        verbose_name=_("district"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RequestStatus.choices, default=S.OPEN, db_index=True
    )
    department = models.ForeignKey(
        "departments.Department",
        on_delete=models.PROTECT,
        related_name="direct_requests",
        verbose_name=_("department"),
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reopened_requests",
        verbose_name=_("supervisor"),
    )
    # The policy the request is about (from the claim or calculator it was raised from, or
    # chosen on the form): it is routed to the policy's department.
    policy = models.ForeignKey(
        "policies.Policy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="direct_requests",
        verbose_name=_("policy"),
    )
    # The colleague of the department working it (none: the department as a whole).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_requests",
        verbose_name=_("assigned to"),
    )
    limit_hours = models.PositiveIntegerField(_("time limit (working hours)"))
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    rating = models.CharField(_("rating"), max_length=20, choices=Rating.choices, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    reopened_at = models.DateTimeField(_("reopened"), null=True, blank=True)
    publication_refused = models.BooleanField(_("publication refused"), default=False)
    created_at = models.DateTimeField(_("raised"), auto_now_add=True)

    transitions = Transitions(
        TRANSITIONS,
        action="directline.request",
        # What the trail keeps beside the status (the texts stay on the request).
        audit_fields=(
            "answered_at",
            "answered_by",
            "rating",
            "rated_at",
            "supervisor",
            "assignee",
        ),
    )
    # The enterprise's members; officials of the department it is with, within their district.
    reach = Reach(enterprise="enterprise", department="department", district="district")

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="directline_request_status_valid",
                condition=Q(status__in=[choice.value for choice in RequestStatus]),
            )
        ]
        indexes = [models.Index(fields=["department", "status", "deadline"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    def time_limit(self) -> TimeLimit:
        return TimeLimit(self.limit_hours, "hours")


class RequestHop(models.Model):
    """One move of a request to a department: routing (from the coordinating office, where
    every request enters), a transfer, a reopening (from and to the same department)."""

    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, related_name="hops", verbose_name=_("request")
    )
    from_department = models.ForeignKey(
        "departments.Department",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("from"),
    )
    to_department = models.ForeignKey(
        "departments.Department",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("to"),
    )
    rule = models.ForeignKey(
        RoutingRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("routing rule"),
    )
    reason = models.TextField(_("reason"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("request hop")
        verbose_name_plural = _("request hops")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_department_id} → {self.to_department_id}"


class RequestPause(CasePause):
    """Time that does not count against the request's limit (waiting for information)."""

    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, related_name="pauses", verbose_name=_("request")
    )

    class Meta(CasePause.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(ended_at__isnull=True),
                name="one_open_pause_per_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.request_id} ({self.started_at:%Y-%m-%d %H:%M})"


class MessageKind(models.TextChoices):
    INFO_REQUEST = "info_request", _("Information requested")
    INFO_ANSWER = "info_answer", _("Information supplied")
    ANSWER = "answer", _("Answer")
    TRANSFER = "transfer", _("Transferred")
    RATING = "rating", _("Rating")


class RequestMessage(CaseMessage):
    """The thread on a request between its department and the enterprise."""

    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, related_name="messages", verbose_name=_("request")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)

    class Meta(CaseMessage.Meta):
        verbose_name = _("request message")
        verbose_name_plural = _("request messages")

    def __str__(self) -> str:
        return f"{self.request_id} · {self.kind}"


class PublishedAnswer(models.Model):
    """An answered request as a public question and answer, anonymised."""

    request = models.OneToOneField(
        Request, on_delete=models.CASCADE, related_name="publication", verbose_name=_("request")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    department = models.ForeignKey(
        "departments.Department",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("department"),
    )
    question = models.TextField(_("question"))
    answer = models.TextField(_("answer"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("published by"),
    )
    published_at = models.DateTimeField(_("published"), default=timezone.now)

    class Meta:
        verbose_name = _("published answer")
        verbose_name_plural = _("published answers")
        ordering = ["-published_at", "-pk"]

    def __str__(self) -> str:
        return self.question[:60]


class PolicyPush(models.Model):
    """One push of a published policy version to the enterprises it fits."""

    version = models.OneToOneField(
        "policies.PolicyVersion",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("policy version"),
    )
    enterprises = models.PositiveIntegerField(_("enterprises"), default=0)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    created_at = models.DateTimeField(_("pushed"), auto_now_add=True)

    class Meta:
        verbose_name = _("policy push")
        verbose_name_plural = _("policy pushes")

    def __str__(self) -> str:
        return f"{self.version_id}: {self.enterprises}"


def _attachment_storage():
    """A callable, so that migrations name it rather than the storage's settings."""
    return private_storage


class RequestAttachment(StoredAttachment):
    """A file the enterprise attached: type- and size-checked, stored privately under a
    random name; the original name is kept for the download."""

    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("request")
    )
    file = models.FileField(_("file"), upload_to="requests/%Y/%m/", storage=_attachment_storage)

    def get_absolute_url(self) -> str:
        return reverse("directline:attachment", args=[self.request_id, self.pk])
