from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from qinqing.audit.admin import ReadOnlyAdmin
from qinqing.audit.display import action_label

from .models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    """Written by the services only; the back office looks (support, partners' questions)."""

    list_display = ["id", "occurred_at", "event_words", "subject", "dispatched_at"]
    list_filter = ["event_type"]
    search_fields = ["subject"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False

    @admin.display(description=_("event"), ordering="event_type")
    def event_words(self, event: OutboxEvent) -> str:
        """In words: "claim paid", not `claim.paid` (qinqing.audit.display)."""
        return action_label(event.event_type)
