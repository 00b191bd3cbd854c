from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class HubConfig(AppConfig):
    """The data hub is an app of its own: it reads the enterprise register, which itself
    refers to the districts in departments, so it sits a layer above both."""

    name = "datahub"
    label = "datahub"
    verbose_name = _("Department data hub")

    def ready(self) -> None:
        post_migrate.connect(_simulation_rows, sender=self)


def _simulation_rows(**kwargs) -> None:
    """One switchable SimulationSetting per simulated department, from the settings."""
    # Here, not at the top: departments_sim imports models, not loaded when apps.py is.
    from .departments_sim import ensure_simulation_rows

    ensure_simulation_rows()
