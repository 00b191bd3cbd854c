from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from qinqing.audit.admin import AuditedModelAdmin

from .forms import UsccField
from .models import Enterprise, EnterpriseMembership


class EnterpriseAdminForm(forms.ModelForm):
    uscc = UsccField()

    class Meta:
        model = Enterprise
        fields = [
            "uscc",
            "name",
            "district",
            "industry_section",
            "industry_division",
            "established_on",
            "registered_capital",
            "size_class",
            "legal_representative",
            "contact_phone",
            "bank_name",
            "bank_account",
            "status",
        ]


class MembershipInline(admin.TabularInline):
    model = EnterpriseMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Enterprise)
class EnterpriseAdmin(AuditedModelAdmin):
    form = EnterpriseAdminForm
    list_display = [
        "uscc",
        "name",
        "district",
        "industry_section",
        "size_class",
        "established_on",
        "status",
    ]
    list_filter = ["status", "district", "size_class", "industry_section"]
    readonly_fields = ["status_changed_at"]
    search_fields = ["uscc", "name"]
    list_select_related = ["district"]
    show_full_result_count = False
    inlines = [MembershipInline]

    def save_model(self, request: HttpRequest, obj: Enterprise, form: Any, change: bool) -> None:
        """A status change is stamped; the audited save records the before and after."""
        if "status" in form.changed_data:
            obj.status_changed_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(EnterpriseMembership)
class EnterpriseMembershipAdmin(AuditedModelAdmin):
    list_display = ["enterprise", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["enterprise__name", "enterprise__uscc", "user__username"]
    autocomplete_fields = ["enterprise", "user"]
