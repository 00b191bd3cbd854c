from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from qinqing.audit.admin import AuditedModelAdmin
from qinqing.audit.services import record_event

from .models import User
from .services import apply_role_flags


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    list_display = ["username", "display_name", "role", "department", "district", "is_active"]
    list_filter = ["role", "department", "district", "is_active"]
    search_fields = ["username", "display_name", "email"]
    list_select_related = ["department", "district"]
    # No is_staff/is_superuser/permission fields: the role decides them (apply_role_flags).
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("display_name", "first_name", "last_name", "email")}),
        (_("Role and scope"), {"fields": ("role", "department", "district")}),
        (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Role and scope"), {"fields": ("role", "department", "district")}),
    )

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Django saves the new password outside save_model; audit it here (never the hash)."""
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                record_event(
                    actor=request.user, action="admin.password_set", obj=User.objects.get(pk=id)
                )
        return response

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        apply_role_flags(obj)
        super().save_model(request, obj, form, change)
