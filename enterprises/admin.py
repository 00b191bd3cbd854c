from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.audit.admin import AuditedModelAdmin
from qinqing.forms import GuardedModelForm
from qinqing.transitions import move

from .forms import UsccField
from .models import Enterprise, EnterpriseMembership


class EnterpriseAdminForm(GuardedModelForm):
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

    def clean_status(self) -> str:
        """The register's standing changes only as its table allows (a deregistered
        enterprise is not revived by a slip of the mouse)."""
        status = self.cleaned_data["status"]
        before = self.instance.status if self.instance.pk else None
        if before and status != before and not Enterprise.transitions.allows(before, status):
            raise forms.ValidationError(
                _("An enterprise that is “%(from)s” cannot become “%(to)s”.")
                % {"from": self.instance.get_status_display(), "to": status}
            )
        return status


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
        """A status change goes through the transition mechanism (stamped, audited as
        `enterprise.<status>`); the audited save records the other fields."""
        if not (change and "status" in form.changed_data):
            super().save_model(request, obj, form, change)
            return
        with transaction.atomic():
            locked = Enterprise.objects.select_for_update().get(pk=obj.pk)
            move(locked, form.cleaned_data["status"], actor=request.user,
                 status_changed_at=timezone.now())  # fmt: skip
            obj.status_changed_at = locked.status_changed_at
            super().save_model(request, obj, form, change)


@admin.register(EnterpriseMembership)
class EnterpriseMembershipAdmin(AuditedModelAdmin):
    list_display = ["enterprise", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["enterprise__name", "enterprise__uscc", "user__username"]
    autocomplete_fields = ["enterprise", "user"]
