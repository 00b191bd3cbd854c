"""An application (one filled sheet) and its items, each reviewed by one department against
the working-hours clock: the items' pauses, messages and permits. An item is a clocked case
(qinqing.workhours.cases): its clock fields, pauses and thread are the shared ones."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qinqing.scoping import Reach
from qinqing.transitions import Transitions
from qinqing.workhours.cases import CaseMessage, CasePause, ClockedCase
from qinqing.workhours.clock import TimeLimit

from ..events import item_decided
from .service_packages import ItemType, LimitUnit, ServicePackage


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected: fix and resubmit")
    REVOKED = "revoked", _("Approval revoked")
    WITHDRAWN = "withdrawn", _("Withdrawn")


A = ApplicationStatus
# An application's status follows its items (services.status.settle_application): it is
# submitted, withdrawn, or settled approved, rejected (fixed and resubmitted: in review
# again) or revoked (a commitment broken after approval or beside a rejection).
APPLICATION_TRANSITIONS: dict[str, set[str]] = {
    A.DRAFT: {A.IN_REVIEW, A.WITHDRAWN},
    A.IN_REVIEW: {A.APPROVED, A.REJECTED, A.REVOKED, A.WITHDRAWN},
    A.REJECTED: {A.IN_REVIEW, A.REVOKED},
    A.APPROVED: {A.REVOKED},
    A.REVOKED: set(),
    A.WITHDRAWN: set(),
}


class Application(models.Model):
    package = models.ForeignKey(
        ServicePackage,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("service package"),
    )
    reference = models.CharField(_("reference"), max_length=30, unique=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("enterprise"),
        help_text=_("Empty for an enterprise being established until it is registered."),
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("applicant"),
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    district = models.ForeignKey(
        "departments.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("district"),
    )
    industry_division = models.CharField(_("industry division"), max_length=2, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    prefill = models.JSONField(
        _("prefilled answers"),
        default=dict,
        blank=True,
        help_text=_(
            "Per field: the fact, department, value and fetch time it came from, and "
            "whether the applicant said it is wrong."
        ),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
        db_index=True,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    issued_uscc = models.CharField(_("issued USCC"), max_length=18, blank=True)
    created_enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="establishment_applications",
        verbose_name=_("registered enterprise"),
    )

    transitions = Transitions(
        APPLICATION_TRANSITIONS,
        action="approvals.application",
        audit_fields=("submitted_at", "decided_at"),
    )
    # The applicant and the enterprise's members; officials of a department that holds one
    # of its items (a draft has none), within their district.
    reach = Reach(
        enterprise="enterprise",
        department="items__department",
        district="items__district",
        own=("applicant",),
        many=True,
    )

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["enterprise", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}".strip()


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("In review")
    SUPPLEMENT = "supplement", _("Supplement requested")
    APPROVED = "approved", _("Approved")
    COMMITTED = "committed", _("Approved on commitment (verification due)")
    VERIFIED = "verified", _("Approved on commitment, verified")
    REJECTED = "rejected", _("Rejected")
    REVOKED = "revoked", _("Approval revoked")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = ItemStatus
# The one table of allowed moves (qinqing.transitions, through services.status.move_item).
ITEM_TRANSITIONS: dict[str, set[str]] = {
    S.PENDING: {S.APPROVED, S.REJECTED, S.SUPPLEMENT, S.COMMITTED, S.WITHDRAWN},
    S.SUPPLEMENT: {S.PENDING, S.WITHDRAWN},
    S.REJECTED: {S.PENDING},  # resubmitted with the fixes asked for
    S.COMMITTED: {S.VERIFIED, S.REVOKED},
    S.APPROVED: set(),
    S.VERIFIED: set(),
    S.REVOKED: set(),
    S.WITHDRAWN: set(),
}
# An item in these states counts as approved for its application.
APPROVED_STATES = frozenset({S.APPROVED, S.COMMITTED, S.VERIFIED})
# An official's clock runs in these states.
OPEN_STATES = frozenset({S.PENDING, S.SUPPLEMENT})


class Item(ClockedCase):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="items", verbose_name=_("application")
    )
    item_type = models.ForeignKey(
        ItemType, on_delete=models.PROTECT, related_name="items", verbose_name=_("item type")
    )
    department = models.ForeignKey(
        "departments.Department",
        on_delete=models.PROTECT,
        related_name="approval_items",
        verbose_name=_("department"),
    )
    district = models.ForeignKey(
        "departments.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approval_items",
        verbose_name=_("district"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ItemStatus.choices,
        default=ItemStatus.PENDING,
        db_index=True,
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_items",
        verbose_name=_("assigned to"),
    )
    limit_amount = models.PositiveIntegerField(_("time limit"))
    limit_unit = models.CharField(_("time limit unit"), max_length=10, choices=LimitUnit.choices)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decided_items",
        verbose_name=_("decided by"),
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    commitment_id = models.BigIntegerField(_("commitment"), null=True, blank=True)
    verify_by = models.DateTimeField(_("verify commitment by"), null=True, blank=True)

    transitions = Transitions(
        ITEM_TRANSITIONS,
        action="approvals.item",
        audit_fields=("decided_at", "decided_by", "commitment_id", "verify_by", "started_at"),
        outbox=item_decided,  # approval.decided for partners, in the same transaction
    )
    reach = Reach(
        enterprise="application__enterprise",
        department="department",
        district="district",
        own=("application__applicant",),
    )

    class Meta:
        verbose_name = _("approval item")
        verbose_name_plural = _("approval items")
        ordering = ["application", "item_type__order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "item_type"], name="one_item_per_type_per_application"
            ),
            models.CheckConstraint(
                name="approval_item_status_valid",
                condition=Q(status__in=[choice.value for choice in ItemStatus]),
            ),
        ]
        indexes = [models.Index(fields=["department", "status", "deadline"])]

    def __str__(self) -> str:
        return f"{self.application.reference} · {self.item_type}"

    def time_limit(self) -> TimeLimit:
        return TimeLimit(self.limit_amount, self.limit_unit)


class PauseReason(models.TextChoices):
    SUPPLEMENT = "supplement", _("Waiting for the enterprise's supplement")
    HEARING = "hearing", _("Hearing")
    EXPERT_REVIEW = "expert_review", _("Expert review")


class ItemPause(CasePause):
    """Time that does not count against the item's limit, and why."""

    item = models.ForeignKey(
        Item, on_delete=models.CASCADE, related_name="pauses", verbose_name=_("approval item")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=PauseReason.choices)

    class Meta(CasePause.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=Q(ended_at__isnull=True), name="one_open_pause_per_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item} ({self.get_reason_display()})"


class MessageKind(models.TextChoices):
    SUPPLEMENT_REQUEST = "supplement_request", _("Supplement requested")
    SUPPLEMENT_ANSWER = "supplement_answer", _("Supplement")
    REJECTION = "rejection", _("Reasons for rejection")
    NOTE = "note", _("Note")


class ItemMessage(CaseMessage):
    """The thread on an item between its department and the applicant."""

    item = models.ForeignKey(
        Item, on_delete=models.CASCADE, related_name="messages", verbose_name=_("approval item")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=MessageKind.choices)

    class Meta(CaseMessage.Meta):
        verbose_name = _("item message")
        verbose_name_plural = _("item messages")

    def __str__(self) -> str:
        return f"{self.item} · {self.get_kind_display()}"


class Permit(models.Model):
    item = models.OneToOneField(
        Item, on_delete=models.PROTECT, related_name="permit", verbose_name=_("approval item")
    )
    number = models.CharField(_("permit number"), max_length=40, unique=True)
    verification_code = models.CharField(_("verification code"), max_length=16, unique=True)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason for revocation"), blank=True)

    class Meta:
        verbose_name = _("permit")
        verbose_name_plural = _("permits")
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return self.number

    @property
    def valid(self) -> bool:
        return self.revoked_at is None
