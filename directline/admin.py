from django.contrib import admin

from .models import Category, PublishedAnswer, Request, RoutingRule


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "limit_hours", "order"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = [
        "priority",
        "category",
        "keywords",
        "district",
        "industry_section",
        "department",
        "active",
    ]
    list_filter = ["active", "department"]


@admin.register(Request)
class RequestAdmin(admin.ModelAdmin):
    list_display = ["reference", "subject", "status", "department", "deadline"]
    list_filter = ["status", "department"]
    readonly_fields = [field.name for field in Request._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PublishedAnswer)
class PublishedAnswerAdmin(admin.ModelAdmin):
    list_display = ["category", "department", "published_at"]
