from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxEvent(models.Model):
    """One thing that happened, for the systems outside that follow it.

    The scope columns are plain integers, not foreign keys: an event is a record of the
    past and must never hold up a delete elsewhere; consumers use them to decide who may
    receive it (the same scoping as the pages)."""

    id = models.BigAutoField(primary_key=True)
    event_type = models.CharField(_("event type"), max_length=50, db_index=True)
    occurred_at = models.DateTimeField(_("occurred"), default=timezone.now)
    subject = models.CharField(_("subject"), max_length=100, blank=True)
    payload = models.JSONField(_("payload"), default=dict)
    enterprise_id = models.BigIntegerField(_("enterprise id"), null=True, blank=True)
    department_id = models.BigIntegerField(_("department id"), null=True, blank=True)
    district_id = models.BigIntegerField(_("district id"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        ordering = ["-id"]
        indexes = [
            # The dispatcher's question: what has not been handed out yet, oldest first.
            models.Index(
                fields=["id"],
                name="outbox_undispatched",
                condition=models.Q(dispatched_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.subject}".strip()
