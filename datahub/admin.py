from django.contrib import admin

from qinqing.audit.admin import ReadOnlyAdmin

from .models import DataCall, SnapshotRefresh


@admin.register(DataCall)
class DataCallAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "department", "interface", "enterprise", "outcome",
                    "latency_ms", "requested_by_label", "purpose"]  # fmt: skip
    list_filter = ["department", "outcome", "transport"]
    search_fields = ["purpose", "enterprise__uscc", "requested_by_label"]
    list_select_related = ["department", "enterprise"]
    date_hierarchy = "started_at"
    show_full_result_count = False


@admin.register(SnapshotRefresh)
class SnapshotRefreshAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "department", "status", "rows", "seconds", "as_of", "purpose"]
    list_filter = ["department", "status"]
