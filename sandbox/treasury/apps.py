from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxTreasuryConfig(AppConfig):
    name = "sandbox.treasury"
    label = "sandbox_treasury"
    verbose_name = _("Simulated treasury")
    default_auto_field = "django.db.models.BigAutoField"
