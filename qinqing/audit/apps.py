from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "qinqing.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        if apps.is_installed("django.contrib.admin"):
            # Here: it must run after every app's admin module was imported (the admin
            # autodiscovers first), and admin.py imports models, not loaded before ready().
            from .admin import audit_every_model_admin

            audit_every_model_admin()
