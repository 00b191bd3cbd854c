"""A partner client: a DOT Application bound, through its service user, to a department
(and optionally a district) or to an enterprise.

The service user carries the binding in the fields every scoping selector already reads
(an official's department and district, an enterprise membership), so a partner sees
exactly what such a person would see: no selector has a second code path for machines.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import oauth2_settings


class PartnerClient(models.Model):
    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL,
        verbose_name=_("OAuth application"),
        on_delete=models.PROTECT,
        related_name="partner_client",
    )
    name = models.CharField(_("name"), max_length=100, unique=True)
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service user"),
        on_delete=models.PROTECT,
        related_name="partner_client",
        help_text=_("The account the client acts as; its role and scope bind the client."),
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="partner_clients",
        help_text=_("Enterprise-bound clients only."),
    )
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("An inactive client gets no token, and its tokens stop working."),
    )
    requests_per_minute = models.PositiveIntegerField(
        _("requests per minute"),
        null=True,
        blank=True,
        help_text=_("Empty: the default (PARTNER_DEFAULT_RATE_PER_MINUTE)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("partner client")
        verbose_name_plural = _("partner clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def client_id(self) -> str:
        return self.application.client_id

    @property
    def rate_per_minute(self) -> int:
        return self.requests_per_minute or settings.PARTNER_DEFAULT_RATE_PER_MINUTE

    @property
    def binding(self) -> str:
        """Human-readable binding, for lists and the audit trail."""
        user = self.service_user
        if self.enterprise_id:
            return str(self.enterprise)
        parts = [str(user.department)] if user.department_id else []
        if user.district_id:
            parts.append(str(user.district))
        return " / ".join(parts)
