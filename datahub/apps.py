from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _

from .links import check_configured_departments


class HubConfig(AppConfig):
    """The data hub is an app of its own: it reads the enterprise register, which itself
    refers to the districts in departments, so it sits a layer above both."""

    name = "datahub"
    label = "datahub"
    verbose_name = _("Department data hub")

    def ready(self) -> None:
        checks.register(check_configured_departments)
