"""The back office reads disputes; every change goes through the services (pages, API)."""

from django.contrib import admin

from .models import Dispute, DisputeAttachment


class AttachmentInline(admin.TabularInline):
    model = DisputeAttachment
    extra = 0
    fields = ["name", "content_type", "size", "uploaded_by", "created_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    list_display = ["reference", "enterprise", "fact", "period", "department", "status",
                    "deadline", "created_at"]  # fmt: skip
    list_filter = ["status", "department", "origin"]
    search_fields = ["reference", "enterprise__uscc", "enterprise__name", "fact"]
    inlines = [AttachmentInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
