from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectlineConfig(AppConfig):
    name = "directline"
    verbose_name = _("Direct line")

    def ready(self) -> None:
        # Imported once the apps are loaded (models may not be imported before): the
        # notification kinds' registry, and receivers, which connects policies' publication
        # signal to the push task.
        from qinqing.notifications.models import register_kind

        from . import receivers  # noqa: F401

        register_kind("directline.request", _("Requests to the government"))
        register_kind("directline.deadline", _("Request deadlines"))
        register_kind("policy.push", _("Policies that fit your enterprise"))
