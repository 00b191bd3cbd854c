from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from qinqing.audit.admin import AuditedModelAdmin
from qinqing.audit.services import record_event

from .models import User


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    list_display = ["username", "display_name", "role", "department", "district", "is_active"]
    list_filter = ["role", "department", "district", "is_active"]
    search_fields = ["username", "display_name", "email"]
    list_select_related = ["department", "district"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Role and scope"), {"fields": ("role", "display_name", "department", "district")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Role and scope"), {"fields": ("role", "department", "district")}),
    )

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Django saves the new password outside save_model; audit it here (never the hash)."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            record_event(
                actor=request.user, action="admin.password_set", obj=User.objects.get(pk=id)
            )
        return response
