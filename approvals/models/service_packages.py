"""The service catalogue, as data administrators edit: packages, their sheet fields, the item
types departments decide and the rules choosing items from the answers."""

from __future__ import annotations

from django.db import models
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
    # Digits only (spaces ignored), checked as the register checks it; shown masked.
    BANK_ACCOUNT = "bank_account", _("Bank account number")


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
