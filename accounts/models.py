"""Users and their roles. Scoping (who sees what) starts from these fields."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise member")
    OFFICIAL = "official", _("Department official")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")
    # A private person (an employee a subsidy is paid to): sees only their own records.
    PERSON = "person", _("Private person")


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.ENTERPRISE)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    department = models.ForeignKey(
        "departments.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="officials",
        help_text=_("Officials only: the department they work for."),
    )
    district = models.ForeignKey(
        "departments.District",
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="officials",
        help_text=_("Officials only: leave empty for city-wide officials."),
    )
    is_supervisor = models.BooleanField(
        _("supervisor"),
        default=False,
        help_text=_("Officials only: told when an item or request of the department is overdue."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="official_has_department_others_have_none",
                condition=(
                    Q(role="official", department__isnull=False)
                    | (~Q(role="official") & Q(department__isnull=True, district__isnull=True))
                ),
                violation_error_message=_(
                    "An official needs a department; other roles have no department or district."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.get_username()

    @property
    def is_enterprise_member(self) -> bool:
        return self.role == Role.ENTERPRISE

    @property
    def is_official(self) -> bool:
        return self.role == Role.OFFICIAL

    @property
    def is_person(self) -> bool:
        return self.role == Role.PERSON

    @property
    def is_auditor(self) -> bool:
        return self.role == Role.AUDITOR

    @property
    def sees_everything(self) -> bool:
        """Auditors and administrators read every record (auditors never write)."""
        return self.role in (Role.AUDITOR, Role.ADMIN) or self.is_superuser
