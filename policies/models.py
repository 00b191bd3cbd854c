"""The policy catalog: policies, their versions (immutable once published), test cases."""

from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from qinqing.errors import Conflict
from qinqing.i18n import prefers_chinese
from qinqing.money import MoneyField
from qinqing.scoping import Reach
from qinqing.transitions import Transitions

from .rules.errors import RuleError
from .rules.ruleset import RuleSet, parse_rules


class BenefitType(models.TextChoices):
    CASH_SUBSIDY = "cash_subsidy", _("Cash subsidy")
    EMPLOYMENT_SUBSIDY = "employment_subsidy", _("Employment subsidy")
    RENT_SUBSIDY = "rent_subsidy", _("Rent subsidy")
    AWARD = "award", _("Award")
    INTEREST_SUBSIDY = "interest_subsidy", _("Loan interest subsidy")
    TAX_RELIEF = "tax_relief", _("Tax and fee relief")


class DeliveryMode(models.TextChoices):
    AUTOMATIC = "automatic", _("Automatic: paid without applying")
    CONFIRM = "confirm", _("Offered: confirm with one click")
    APPLY = "apply", _("Apply: an official reviews")


class Beneficiary(models.TextChoices):
    """Who a version pays: the enterprise itself, or the persons it employs (each paid to
    their own account, issue #26)."""

    ENTERPRISE = "enterprise", _("The enterprise")
    PERSON = "person", _("The enterprise's employees, each in person")


class ClaimPeriod(models.TextChoices):
    ONCE = "once", _("Once")
    YEARLY = "yearly", _("Once a year")
    QUARTERLY = "quarterly", _("Once a quarter")
    MONTHLY = "monthly", _("Once a month")


class Policy(models.Model):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    department = models.ForeignKey(
        "departments.Department", on_delete=models.PROTECT, related_name="policies",
        verbose_name=_("issuing department"),
    )  # fmt: skip
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=250)
    summary_zh = models.TextField(_("summary (Chinese)"))
    summary_en = models.TextField(_("summary (English)"))
    legal_basis_zh = models.TextField(
        _("legal basis (Chinese)"),
        help_text=_("The document's text; clauses that criteria cite appear as their headings."),
    )
    legal_basis_en = models.TextField(_("legal basis (English)"), blank=True)
    benefit_type = models.CharField(_("benefit type"), max_length=30, choices=BenefitType.choices)
    delivery_mode = models.CharField(_("delivery"), max_length=20, choices=DeliveryMode.choices)
    target_districts = models.ManyToManyField(
        "departments.District", blank=True, related_name="policies",
        verbose_name=_("target districts"), help_text=_("Empty: the whole city."),
    )  # fmt: skip
    target_industry_sections = models.JSONField(
        _("target industry sections"), default=list, blank=True,
        help_text=_("GB/T 4754 section letters; empty: every industry."),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    # Whose policies an official manages: the issuing department's. The catalog itself is
    # public (selectors.catalog), not scoped.
    reach = Reach(department="department")

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return self.title_zh if prefers_chinese() else self.title_en

    @property
    def summary(self) -> str:
        return self.summary_zh if prefers_chinese() else self.summary_en

    @property
    def legal_basis(self) -> str:
        return (
            self.legal_basis_zh
            if prefers_chinese() or not self.legal_basis_en
            else (self.legal_basis_en)
        )


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The only ways a version's status may change; services check this table.
TRANSITIONS: dict[str, set[str]] = {
    VersionStatus.DRAFT: {VersionStatus.AWAITING_APPROVAL},
    VersionStatus.AWAITING_APPROVAL: {
        VersionStatus.DRAFT, VersionStatus.SCHEDULED, VersionStatus.PUBLISHED,
    },
    VersionStatus.SCHEDULED: {VersionStatus.PUBLISHED, VersionStatus.DRAFT},
    VersionStatus.PUBLISHED: {VersionStatus.SUPERSEDED, VersionStatus.WITHDRAWN},
    VersionStatus.SUPERSEDED: set(),
    VersionStatus.WITHDRAWN: set(),
}  # fmt: skip
EDITABLE = {VersionStatus.DRAFT}
# Fields that may still change once a version left the draft: its life-cycle only.
LIFECYCLE_FIELDS = {"status", "submitted_by", "submitted_at", "approved_by", "published_at",
                    "publish_at"}  # fmt: skip


class ImmutableVersion(Conflict):
    """A version that left the draft is evidence of what was decided: a change is a new
    version."""

    code = "immutable_version"
    default_message = _("A version that left the draft cannot be changed: start a new version.")


class PolicyVersionQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        """Bulk updates may touch drafts freely, other versions only their life-cycle."""
        content = set(kwargs) - LIFECYCLE_FIELDS - {f"{name}_id" for name in LIFECYCLE_FIELDS}
        if content and self.exclude(status=VersionStatus.DRAFT).exists():
            raise ImmutableVersion("only drafts can be changed in bulk")
        return super().update(**kwargs)


class PolicyVersion(models.Model):
    policy = models.ForeignKey(
        Policy, on_delete=models.PROTECT, related_name="versions", verbose_name=_("policy")
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    valid_from = models.DateField(_("claims from"))
    valid_until = models.DateField(_("claims until"))
    criteria = models.JSONField(_("eligibility criteria"))
    benefit = models.JSONField(_("benefit formula"))
    parameters = models.JSONField(_("dated parameters"), default=dict, blank=True)
    rounding = models.CharField(
        _("rounding"), max_length=10, default="half_up",
        choices=[("half_up", _("Half up")), ("down", _("Down"))],
    )  # fmt: skip
    budget = MoneyField(_("total budget (yuan)"))
    per_enterprise_cap = MoneyField(_("cap per enterprise (yuan)"), null=True, blank=True)
    claim_period = models.CharField(_("claim period"), max_length=20, choices=ClaimPeriod.choices)
    beneficiary = models.CharField(
        _("paid to"), max_length=12, choices=Beneficiary.choices,
        default=Beneficiary.ENTERPRISE,
    )  # fmt: skip
    notes = models.TextField(_("what changed"), blank=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("drafted by"),
    )  # fmt: skip
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("submitted by"),
    )  # fmt: skip
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("approved by"),
    )  # fmt: skip
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    contributors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("contributors"),
        help_text=_("Everyone who drafted or edited this version: none of them may approve it."),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PolicyVersionQuerySet.as_manager()

    # Drafts are the issuing department's (and auditors'); what was published is public
    # (selectors.versions_visible_to adds it).
    reach = Reach(department="policy__department")
    transitions = Transitions(TRANSITIONS, action="policy_version")

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="one_number_per_version"),
            models.UniqueConstraint(
                fields=["policy"],
                condition=Q(status="published"),
                name="one_published_version_per_policy",
            ),
            models.CheckConstraint(
                name="validity_window_not_empty",
                condition=Q(valid_until__gte=F("valid_from")),
                violation_error_message=_("The validity window is empty: until is before from."),
            ),
            models.CheckConstraint(
                name="budget_not_negative",
                condition=Q(budget__gte=0),
                violation_error_message=_("A budget cannot be below zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy.code} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values().first()
            if (
                stored
                and stored["status"] != self.status
                and self.status not in TRANSITIONS.get(stored["status"], set())
            ):
                raise ImmutableVersion(f"{self}: {stored['status']} cannot become {self.status}")
            if stored and stored["status"] not in EDITABLE:
                changed = {
                    name
                    for name, value in stored.items()
                    if name != "id" and getattr(self, name) != value
                }
                if changed - {f"{f}_id" if f.endswith("_by") else f for f in LIFECYCLE_FIELDS}:
                    raise ImmutableVersion(
                        f"{self} is {stored['status']}; changed: {sorted(changed)}"
                    )
        super().save(*args, **kwargs)

    @cached_property
    def rules(self) -> RuleSet:
        return parse_rules(criteria=self.criteria, benefit=self.benefit,
                           parameters=self.parameters, rounding=self.rounding,
                           beneficiary=self.beneficiary)  # fmt: skip

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        try:
            rules = parse_rules(criteria=self.criteria, benefit=self.benefit,
                                parameters=self.parameters, rounding=self.rounding,
                                beneficiary=self.beneficiary)  # fmt: skip
            if self.valid_from:
                for name, parameter in rules.parameters.items():
                    if parameter.values[0].starts > self.valid_from:
                        raise RuleError(f"parameters.{name}",
                                        f"has no value on {self.valid_from.isoformat()}, when "
                                        "claims open")  # fmt: skip
        except RuleError as error:
            field = error.path.split(".")[0].split("[")[0]
            target = (
                field
                if field in ("criteria", "benefit", "parameters", "rounding", "beneficiary")
                else ("criteria")
            )
            errors[target] = ValidationError(
                _("%(path)s: %(message)s"), params={"path": error.path, "message": error.message},
                code="rule",
            )  # fmt: skip
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("The validity window is empty: until is before from.")
        if self.budget is not None and self.budget < Decimal("0"):
            errors["budget"] = _("A budget cannot be below zero.")
        if self.per_enterprise_cap is not None and self.per_enterprise_cap <= Decimal("0"):
            errors["per_enterprise_cap"] = _("A cap, if given, must be above zero.")
        if errors:
            raise ValidationError(errors)

    @property
    def pays_persons(self) -> bool:
        return self.beneficiary == Beneficiary.PERSON

    def is_open_on(self, day: date) -> bool:
        return self.status == VersionStatus.PUBLISHED and self.valid_from <= day <= self.valid_until


class PolicyTestCase(models.Model):
    """Facts -> expected result per criterion, checked before a version may be published."""

    version = models.ForeignKey(
        PolicyVersion,
        on_delete=models.CASCADE,
        related_name="test_cases",
        verbose_name=_("version"),
    )
    name = models.CharField(_("name"), max_length=200)
    facts = models.JSONField(_("facts"))
    expected_status = models.CharField(_("expected result"), max_length=12)
    expected_criteria = models.JSONField(_("expected per criterion"), default=dict, blank=True)
    expected_amount = MoneyField(_("expected amount"), null=True, blank=True)
    generated = models.BooleanField(_("generated boundary case"), default=False)

    class Meta:
        verbose_name = _("policy test case")
        verbose_name_plural = _("policy test cases")
        ordering = ["version", "generated", "id"]

    def __str__(self) -> str:
        return self.name


class QualifyWatch(models.Model):
    """ "Tell me when I qualify": an enterprise that does not qualify for a policy today
    asked to be told once when it does. The hub's changed facts re-evaluate it (tasks
    `policies.tasks.check_qualify_watches`); `notified_at` marks the one notice, set by a
    conditional update so that no watch is told twice. One open watch per enterprise and
    policy; a fulfilled one stays as the record of what was said, and a new one may follow."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.CASCADE, related_name="qualify_watches",
        verbose_name=_("enterprise"),
    )  # fmt: skip
    policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, related_name="qualify_watches",
        verbose_name=_("policy"),
    )  # fmt: skip
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("asked by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("asked"), auto_now_add=True)
    notified_at = models.DateTimeField(_("told"), null=True, blank=True)

    # The enterprise's members (and auditors) see it; officials have no use for it.
    reach = Reach(enterprise="enterprise", officials=False)

    class Meta:
        verbose_name = _("qualification watch")
        verbose_name_plural = _("qualification watches")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "policy"], condition=Q(notified_at__isnull=True),
                name="one_open_qualify_watch",
            ),
        ]  # fmt: skip
        indexes = [models.Index(fields=["enterprise", "notified_at"], name="watch_enterprise")]

    def __str__(self) -> str:
        return f"{self.policy.code} {self.enterprise_id}"

    @property
    def is_open(self) -> bool:
        return self.notified_at is None
