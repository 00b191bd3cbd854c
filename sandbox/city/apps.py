from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxCityConfig(AppConfig):
    name = "sandbox.city"
    label = "sandbox_city"
    verbose_name = _("Demo city")
    default_auto_field = "django.db.models.BigAutoField"
