"""The enterprise register: identity (USCC), where and what it is, who acts for it."""

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from qinqing.i18n import prefers_chinese
from qinqing.identifiers import validate_uscc
from qinqing.masking import mask_digits
from qinqing.money import MoneyField
from qinqing.scoping import Reach
from qinqing.transitions import Transitions

from .industries import DIVISION_BY_CODE, SECTION_BY_CODE

bank_account_validator = RegexValidator(
    r"^\d{8,30}$", _("A bank account number has 8 to 30 digits (spaces are ignored).")
)
phone_validator = RegexValidator(
    r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$",
    _("Enter a mobile number (11 digits starting with 1) or a landline such as 0571-87654321."),
)


class SizeClass(models.TextChoices):
    """Enterprise size classes of the NBS standard (国统字〔2017〕213号)."""

    LARGE = "large", _("Large")
    MEDIUM = "medium", _("Medium")
    SMALL = "small", _("Small")
    MICRO = "micro", _("Micro")


class EnterpriseStatus(models.TextChoices):
    """Standing in the market register: only an active enterprise may receive subsidies."""

    ACTIVE = "active", _("Active")
    REVOKED = "revoked", _("Business licence revoked")
    DEREGISTERED = "deregistered", _("Deregistered")


class Enterprise(models.Model):
    # Personal and payment data: masked in pages, the API and the audit trail.
    audit_masked_fields: ClassVar[dict[str, int]] = {"bank_account": 0, "contact_phone": 3}
    # Members see their enterprises, officials those of their district (every one when
    # city-wide): no department owns an enterprise.
    reach = Reach(enterprise="self", district="district")
    # The market register's standing: a licence revoked by mistake can be restored; a
    # deregistered enterprise is gone for good.
    transitions = Transitions(
        {
            EnterpriseStatus.ACTIVE: {EnterpriseStatus.REVOKED, EnterpriseStatus.DEREGISTERED},
            EnterpriseStatus.REVOKED: {EnterpriseStatus.ACTIVE, EnterpriseStatus.DEREGISTERED},
            EnterpriseStatus.DEREGISTERED: set(),
        },
        action="enterprise",
        audit_fields=("status_changed_at",),
    )

    uscc = models.CharField(
        _("Unified Social Credit Code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    name = models.CharField(_("name"), max_length=200, db_index=True)
    district = models.ForeignKey(
        "departments.District",
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="enterprises",
    )
    industry_section = models.CharField(_("industry section"), max_length=1, db_index=True)
    industry_division = models.CharField(_("industry division"), max_length=2)
    established_on = models.DateField(_("established on"))
    registered_capital = MoneyField(_("registered capital (yuan)"))
    size_class = models.CharField(_("size"), max_length=10, choices=SizeClass.choices)
    legal_representative = models.CharField(_("legal representative"), max_length=100)
    contact_phone = models.CharField(
        _("contact phone"), max_length=20, blank=True, validators=[phone_validator]
    )
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account = models.CharField(
        _("bank account"), max_length=30, blank=True, validators=[bank_account_validator]
    )
    status = models.CharField(
        _("register status"),
        max_length=20,
        choices=EnterpriseStatus.choices,
        default=EnterpriseStatus.ACTIVE,
        db_default=EnterpriseStatus.ACTIVE,
    )
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="EnterpriseMembership",
        related_name="enterprises",
        verbose_name=_("members"),
    )

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["district", "industry_section"])]
        constraints = [
            models.CheckConstraint(
                name="uscc_has_18_characters", condition=Exact(Length("uscc"), 18)
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        division = DIVISION_BY_CODE.get(self.industry_division)
        if division is None:
            raise ValidationError(
                {"industry_division": _("Not a GB/T 4754-2017 division code (01 to 97).")}
            )
        if self.industry_section and division.section != self.industry_section:
            raise ValidationError(
                {
                    "industry_division": _(
                        "Division %(division)s belongs to section %(expected)s, not %(given)s."
                    )
                    % {
                        "division": division.code,
                        "expected": division.section,
                        "given": self.industry_section,
                    }
                }
            )
        self.industry_section = division.section

    @property
    def industry_section_name(self) -> str:
        section = SECTION_BY_CODE.get(self.industry_section)
        if section is None:
            return self.industry_section
        return section.name_zh if prefers_chinese() else section.name_en

    @property
    def industry_division_name(self) -> str:
        division = DIVISION_BY_CODE.get(self.industry_division)
        if division is None:
            return self.industry_division
        return division.name_zh if prefers_chinese() else division.name_en

    @property
    def is_in_business(self) -> bool:
        """Revoked or deregistered enterprises receive nothing."""
        return self.status == EnterpriseStatus.ACTIVE

    @property
    def bank_account_masked(self) -> str:
        """Bank accounts are shown as their last four digits only."""
        return mask_digits(self.bank_account)

    @property
    def contact_phone_masked(self) -> str:
        return mask_digits(self.contact_phone, keep_start=3)


class MemberRole(models.TextChoices):
    LEGAL_REPRESENTATIVE = "legal_representative", _("Legal representative")
    AGENT = "agent", _("Agent")


class EnterpriseMembership(models.Model):
    """A person who may act for an enterprise on the portal."""

    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("enterprise"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="enterprise_memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=30, choices=MemberRole.choices)
    created_at = models.DateTimeField(_("member since"), auto_now_add=True)

    class Meta:
        verbose_name = _("enterprise member")
        verbose_name_plural = _("enterprise members")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "user"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.enterprise} ({self.get_role_display()})"


# Persons attached to the register (issue #26) live in their own module; imported here so
# Django finds their models.
from .persons.models import Person  # noqa: E402, F401
