"""The government side: Hangzhou's districts and the municipal departments."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qinqing.i18n import BilingualName


class DistrictKind(models.TextChoices):
    DISTRICT = "district", pgettext_lazy("kind of area", "District")
    COUNTY = "county", pgettext_lazy("kind of area", "County")
    COUNTY_CITY = "county_city", pgettext_lazy("kind of area", "County-level city")
    SCENIC_AREA = "scenic_area", pgettext_lazy("kind of area", "Scenic area")


class District(BilingualName):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    admin_code = models.CharField(
        _("administrative division code"),
        max_length=6,
        unique=True,
        null=True,
        blank=True,
        help_text=_("GB/T 2260 code; empty for areas that are not administrative divisions."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DistrictKind.choices)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["sort_order", "code"]


class Department(BilingualName):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_(
            "A department merged or dissolved is deactivated: its officials then see and "
            "do nothing, while its records stay."
        ),
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["sort_order", "code"]
