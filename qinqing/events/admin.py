from django.contrib import admin

from qinqing.audit.admin import ReadOnlyAdmin

from .models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    """Written by the services only; the back office looks (support, partners' questions)."""

    list_display = ["id", "occurred_at", "event_type", "subject", "dispatched_at"]
    list_filter = ["event_type"]
    search_fields = ["subject"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False
