"""Packages, sheets, item types and their rules are data administrators edit; what
applicants and officials did is read-only here (it changes only through services)."""

from django.contrib import admin

from qinqing.audit.admin import ReadOnlyMixin

from .models import (
    Application,
    Item,
    ItemRule,
    ItemType,
    Permit,
    ServicePackage,
    SheetField,
)


class SheetFieldInline(admin.TabularInline):
    model = SheetField
    extra = 0
    fields = ["order", "key", "section", "type", "label_zh", "label_en", "required", "hub_fact",
              "register_field"]  # fmt: skip


class ItemTypeInline(admin.TabularInline):
    model = ItemType
    extra = 0
    fields = ["order", "code", "name_zh", "department", "limit_amount", "limit_unit",
              "allows_commitment", "auto_check"]  # fmt: skip
    show_change_link = True


@admin.register(ServicePackage)
class ServicePackageAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "kind", "active"]
    list_filter = ["kind", "active"]
    inlines = [SheetFieldInline, ItemTypeInline]


class ItemRuleInline(admin.TabularInline):
    model = ItemRule
    extra = 1


@admin.register(ItemType)
class ItemTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "package", "department", "limit_amount", "limit_unit",
                    "allows_commitment", "auto_check"]  # fmt: skip
    list_filter = ["package", "department", "allows_commitment"]
    inlines = [ItemRuleInline]


@admin.register(Application)
class ApplicationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["reference", "title", "package", "enterprise", "status", "submitted_at"]
    list_filter = ["package", "status", "district"]
    search_fields = ["reference", "title", "enterprise__name", "enterprise__uscc"]


@admin.register(Item)
class ItemAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "department", "district", "status", "deadline", "assigned_to"]
    list_filter = ["status", "department", "district"]
    search_fields = ["application__reference"]


@admin.register(Permit)
class PermitAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "verification_code", "issued_at", "revoked_at"]
    search_fields = ["number", "verification_code"]
