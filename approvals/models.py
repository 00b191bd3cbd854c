"""Service packages on one combined sheet, decided item by item by the departments.

A package (industrial project approval, enterprise establishment, …) is data: its sheet
fields, its item types and the rules choosing items from the answers are rows that
administrators edit. An application is one enterprise's (or founder's) filled sheet; each
item it needs becomes an `Item` that one department reviews against the working-hours clock.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def _bilingual(zh: str, en: str) -> str:
    return en if (get_language() or "zh-hans").startswith("en") and en else zh


class PackageKind(models.TextChoices):
    PROJECT = "project", _("Industrial project approval")
    ESTABLISHMENT = "establishment", _("Enterprise establishment")


class ServicePackage(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=PackageKind.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    active = models.BooleanField(_("open for applications"), default=True)

    class Meta:
        verbose_name = _("service package")
        verbose_name_plural = _("service packages")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _bilingual(self.name_zh, self.name_en)

    @property
    def description(self) -> str:
        return _bilingual(self.description_zh, self.description_en)


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    LONG_TEXT = "long_text", _("Long text")
    INTEGER = "integer", _("Whole number")
    DECIMAL = "decimal", _("Number")
    MONEY = "money", _("Amount (yuan)")
    CHOICE = "choice", _("Choice")
    BOOLEAN = "boolean", _("Yes / no")
    DISTRICT = "district", _("District")
    INDUSTRY = "industry", _("Industry division")
    PEOPLE = "people", _("List of people")


class SheetField(models.Model):
    """One question on a package's sheet. `hub_fact` prefills it from department data."""

    package = models.ForeignKey(
        ServicePackage,
        on_delete=models.CASCADE,
        related_name="fields",
        verbose_name=_("service package"),
    )
    key = models.SlugField(_("key"), max_length=50)
    section = models.CharField(_("section"), max_length=50, default="main")
    order = models.PositiveIntegerField(_("order"), default=0)
    type = models.CharField(_("type"), max_length=20, choices=FieldType.choices)
    label_zh = models.CharField(_("label (Chinese)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)
    help_zh = models.CharField(_("help (Chinese)"), max_length=300, blank=True)
    help_en = models.CharField(_("help (English)"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=True)
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_('For choice fields: [["value", "中文", "English"], …].'),
    )
    max_length = models.PositiveIntegerField(_("maximum length"), default=200)
    min_value = models.DecimalField(
        _("minimum"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    hub_fact = models.CharField(
        _("prefill from fact"),
        max_length=100,
        blank=True,
        help_text=_("A data hub fact whose value prefills this answer (the source is shown)."),
    )
    register_field = models.CharField(
        _("prefill from the register"),
        max_length=50,
        blank=True,
        help_text=_("An enterprise register column (name, district, industry_division)."),
    )

    class Meta:
        verbose_name = _("sheet field")
        verbose_name_plural = _("sheet fields")
        ordering = ["package", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["package", "key"], name="one_field_per_key")]

    def __str__(self) -> str:
        return f"{self.package.code}.{self.key}"

    @property
    def label(self) -> str:
        return _bilingual(self.label_zh, self.label_en)

    @property
    def help(self) -> str:
        return _bilingual(self.help_zh, self.help_en)

    def choice_pairs(self) -> list[tuple[str, str]]:
        english = (get_language() or "").startswith("en")
        return [(c[0], (c[2] if english and len(c) > 2 and c[2] else c[1])) for c in self.choices]


class LimitUnit(models.TextChoices):
    HOURS = "hours", _("working hours")
    DAYS = "days", _("working days")


class AutoCheck(models.TextChoices):
    """Checks a department accepts as sufficient to decide an item without a person."""

    NONE = "", _("None: an official decides")
    ALWAYS = "always", _("Always approve once submitted")
    NAME_AVAILABLE = "name_available", _("Approve when the enterprise name is free")
    ISSUE_USCC = "issue_uscc", _("Approve and issue a Unified Social Credit Code")


class ItemType(models.Model):
    """A permit or registration a department issues inside a package."""

    package = models.ForeignKey(
        ServicePackage,
        on_delete=models.CASCADE,
        related_name="item_types",
        verbose_name=_("service package"),
    )
    code = models.SlugField(_("code"), max_length=50)
    order = models.PositiveIntegerField(_("order"), default=0)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    department = models.ForeignKey(
        "departments.Department",
        on_delete=models.PROTECT,
        related_name="approval_item_types",
        verbose_name=_("department"),
    )
    limit_amount = models.PositiveIntegerField(_("time limit"), default=4)
    limit_unit = models.CharField(
        _("time limit unit"), max_length=10, choices=LimitUnit.choices, default=LimitUnit.HOURS
    )
    field_keys = models.JSONField(
        _("fields the department receives"),
        default=list,
        blank=True,
        help_text=_("Sheet field keys; the department sees only these answers."),
    )
    allows_commitment = models.BooleanField(_("approval on commitment allowed"), default=False)
    verify_within_days = models.PositiveIntegerField(
        _("verify a commitment within (working days)"), default=20
    )
    commitment_checks_zh = models.TextField(_("what is verified (Chinese)"), blank=True)
    commitment_checks_en = models.TextField(_("what is verified (English)"), blank=True)
    auto_check = models.CharField(
        _("automatic decision"),
        max_length=30,
        choices=AutoCheck.choices,
        default=AutoCheck.NONE,
        blank=True,
    )
    permit_prefix = models.CharField(_("permit number prefix"), max_length=10, default="QQ")

    class Meta:
        verbose_name = _("item type")
        verbose_name_plural = _("item types")
        ordering = ["package", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["package", "code"], name="one_item_type_per_code")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _bilingual(self.name_zh, self.name_en)

    @property
    def commitment_checks(self) -> str:
        return _bilingual(self.commitment_checks_zh, self.commitment_checks_en)


class Operator(models.TextChoices):
    EQ = "eq", "="
    NE = "ne", "≠"
    GT = "gt", ">"
    GTE = "gte", "≥"
    LT = "lt", "<"
    LTE = "lte", "≤"
    IN = "in", _("one of")
    TRUE = "true", _("is yes")
    FALSE = "false", _("is no")


class ItemRule(models.Model):
    """A condition for needing an item: an item type is needed when all its rules hold
    (an item type without rules is always needed)."""

    item_type = models.ForeignKey(
        ItemType, on_delete=models.CASCADE, related_name="rules", verbose_name=_("item type")
    )
    field_key = models.SlugField(_("sheet field"), max_length=50)
    operator = models.CharField(_("operator"), max_length=10, choices=Operator.choices)
    value = models.JSONField(_("value"), null=True, blank=True)

    class Meta:
        verbose_name = _("item rule")
        verbose_name_plural = _("item rules")

    def __str__(self) -> str:
        return f"{self.field_key} {self.get_operator_display()} {self.value}"


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected: fix and resubmit")
    REVOKED = "revoked", _("Approval revoked")
    WITHDRAWN = "withdrawn", _("Withdrawn")


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
# The one table of allowed moves; services.move_item is the only writer of Item.status.
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


class Item(models.Model):
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
    started_at = models.DateTimeField(_("clock started"), default=timezone.now)
    limit_amount = models.PositiveIntegerField(_("time limit"))
    limit_unit = models.CharField(_("time limit unit"), max_length=10, choices=LimitUnit.choices)
    deadline = models.DateTimeField(
        _("deadline"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("Empty while the clock is paused."),
    )
    warned_at = models.DateTimeField(_("80% warning sent"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
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


class PauseReason(models.TextChoices):
    SUPPLEMENT = "supplement", _("Waiting for the enterprise's supplement")
    HEARING = "hearing", _("Hearing")
    EXPERT_REVIEW = "expert_review", _("Expert review")


class ItemPause(models.Model):
    """Time that does not count against the item's limit."""

    item = models.ForeignKey(
        Item, on_delete=models.CASCADE, related_name="pauses", verbose_name=_("approval item")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=PauseReason.choices)
    started_at = models.DateTimeField(_("paused"), default=timezone.now)
    ended_at = models.DateTimeField(_("resumed"), null=True, blank=True)

    class Meta:
        verbose_name = _("clock pause")
        verbose_name_plural = _("clock pauses")
        ordering = ["started_at"]
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


class ItemMessage(models.Model):
    """The thread on an item between its department and the applicant."""

    item = models.ForeignKey(
        Item, on_delete=models.CASCADE, related_name="messages", verbose_name=_("approval item")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=MessageKind.choices)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("item message")
        verbose_name_plural = _("item messages")
        ordering = ["created_at", "pk"]

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
