"""Notifications (rendered once, in the recipient's language) and per-kind preferences."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from qinqing.i18n import pick

from .registry import kind_label


class Notification(models.Model):
    """One thing told to one person. `kind` is a code of NOTIFICATION_KINDS (no choices on
    the field: an app adding a kind needs no migration here)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
        verbose_name=_("recipient"),
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=60)
    # Rendered at send time in both languages (qinqing.i18n.in_languages): the text they
    # were told, kept, and shown in the language they read it in (`shown_title`). Rows
    # from before the English columns have them blank and show the Chinese.
    title = models.CharField(_("title (Chinese)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    body = models.TextField(_("body (Chinese)"), blank=True)
    body_en = models.TextField(_("body (English)"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    # False when the recipient wants this kind by e-mail only: the row carries the e-mail.
    in_app = models.BooleanField(_("shown in the portal"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        # The header badge counts a user's unread notifications on every page.
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.shown_title

    @property
    def shown_title(self) -> str:
        """The title in the reader's language."""
        return pick(self.title, self.title_en)

    @property
    def shown_body(self) -> str:
        return pick(self.body, self.body_en)

    @property
    def kind_label(self) -> str | Promise:
        return kind_label(self.kind)


class NotificationPreference(models.Model):
    """A user's choice for one kind. No row means the default: in the portal and by e-mail."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
        related_name="notification_preferences", verbose_name=_("user"),
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=60)
    in_app = models.BooleanField(_("in the portal"), default=True)
    email = models.BooleanField(_("by e-mail"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.kind}"
