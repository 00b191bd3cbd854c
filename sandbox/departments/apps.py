from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxDepartmentsConfig(AppConfig):
    name = "sandbox.departments"
    label = "sandbox_departments"
    verbose_name = _("Simulated departments")
    default_auto_field = "django.db.models.BigAutoField"
