"""Back office: the audit trail is read-only, and every admin edit writes an event."""

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from .models import AuditEvent
from .services import changed_only, record_event, snapshot


def _is_auditor(request: HttpRequest) -> bool:
    return getattr(request.user, "is_auditor", False)


class AuditedModelAdmin(admin.ModelAdmin):
    """Base for every ModelAdmin: edits are audited; auditors may look but not touch."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_auditor(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return _is_auditor(request) or super().has_view_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        before = snapshot(type(obj)._default_manager.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        after = snapshot(obj)
        if before is not None:
            before, after = changed_only(before, after)
        record_event(
            actor=request.user,
            action="admin.change" if change else "admin.add",
            obj=obj,
            before=before,
            after=after,
        )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        record_event(actor=request.user, action="admin.delete", obj=obj, before=snapshot(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            record_event(actor=request.user, action="admin.delete", obj=obj, before=snapshot(obj))
        super().delete_queryset(request, queryset)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "actor_label", "action", "object_type", "object_label"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "object_label", "actor_label", "request_id"]
    date_hierarchy = "occurred_at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]
    list_select_related = False
    show_full_result_count = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_auditor(request) or request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return _is_auditor(request) or request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
