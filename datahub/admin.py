from django.contrib import admin

from qinqing.audit.admin import AuditedModelAdmin, ReadOnlyAdmin

from .departments_sim import forget_behaviour
from .models import DataCall, SimulationSetting, SnapshotRefresh


@admin.register(SimulationSetting)
class SimulationSettingAdmin(AuditedModelAdmin):
    """Switch a simulated department's latency and failures while the portal runs."""

    list_display = ["department", "latency_ms", "jitter_ms", "timeout_rate", "error_rate",
                    "malformed_rate", "down"]  # fmt: skip
    list_editable = ["latency_ms", "jitter_ms", "timeout_rate", "error_rate", "malformed_rate",
                     "down"]  # fmt: skip

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        forget_behaviour(obj.department.code)


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
