from django.contrib import admin

from .models import Refresh


@admin.register(Refresh)
class RefreshAdmin(admin.ModelAdmin):
    """The history of rebuilds, read-only: when each ran and what it cost."""

    list_display = ["started_at", "finished_at", "rows"]
    readonly_fields = ["started_at", "finished_at", "seconds", "rows"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
