from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from qinqing.workqueues import OFFICIAL_QUEUES

        from .selectors import partner_failures_queue

        # The workspace may not import integrations: it reads this queue from the registry.
        OFFICIAL_QUEUES.register("webhooks", partner_failures_queue)
