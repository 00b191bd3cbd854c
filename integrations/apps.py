from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Here, not at the top: the receivers import models, loaded only once apps are ready.
        from qinqing.events.signals import events_emitted

        from .receivers import dispatch_soon

        events_emitted.connect(dispatch_soon, dispatch_uid="integrations.dispatch_soon")
