from django.contrib import admin

from qinqing.audit.admin import AuditedModelAdmin

from .behaviour import forget_behaviour
from .models import SimulationSetting


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
