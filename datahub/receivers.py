"""Loaded at start by qinqing's app (autodiscovered): after each migration, one switchable
SimulationSetting per simulated department, from the settings."""

from django.apps import apps
from django.db.models.signals import post_migrate

from .departments_sim import ensure_simulation_rows


def _simulation_rows(**kwargs) -> None:
    ensure_simulation_rows()


post_migrate.connect(_simulation_rows, sender=apps.get_app_config("datahub"),
                     dispatch_uid="datahub.simulation_rows")  # fmt: skip
