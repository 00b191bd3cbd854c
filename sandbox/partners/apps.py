from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxPartnersConfig(AppConfig):
    name = "sandbox.partners"
    label = "sandbox_partners"
    verbose_name = _("Simulated partner systems")
    default_auto_field = "django.db.models.BigAutoField"
