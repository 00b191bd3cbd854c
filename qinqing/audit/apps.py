from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "qinqing.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        # Runs after every app's admin module was imported (admin autodiscovers first).
        if apps.is_installed("django.contrib.admin"):
            from .admin import audit_every_model_admin

            audit_every_model_admin()
