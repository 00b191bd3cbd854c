from django.contrib import admin

from qinqing.audit.admin import AuditedModelAdmin

from .models import Department, District


@admin.register(District)
class DistrictAdmin(AuditedModelAdmin):
    list_display = ["code", "admin_code", "name_zh", "name_en", "kind"]
    search_fields = ["code", "admin_code", "name_zh", "name_en"]


@admin.register(Department)
class DepartmentAdmin(AuditedModelAdmin):
    list_display = ["code", "name_zh", "name_en"]
    search_fields = ["code", "name_zh", "name_en"]
