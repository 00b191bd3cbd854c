"""Loaded at start by qinqing's app (autodiscovered) when the sandbox is installed: the
simulated departments plug into the hub the way a real department's adapter would (the
"inprocess" transport and a link for every department of the catalogue, which serves it
while the simulation does: adapter.link), and after each migration one switchable
SimulationSetting per simulated department, from the settings. A department named in
settings.HUB_DEPARTMENTS is reached as configured there, simulated or not."""

from functools import partial

from django.apps import apps
from django.db.models.signals import post_migrate

from datahub.adapters import ADAPTERS, LINKS
from datahub.catalogue import CATALOGUE

from . import adapter, persons
from .behaviour import ensure_simulation_rows

ADAPTERS.register(adapter.TRANSPORT, adapter.SimulatedAdapter, replace=True)
for _code in sorted({spec.department for spec in CATALOGUE.values()}):
    LINKS.register(_code, partial(adapter.link, _code), replace=True)
# The departments' records of private persons (issue #26), asked by identity number.
persons.register()


def _simulation_rows(**kwargs) -> None:
    ensure_simulation_rows()


post_migrate.connect(_simulation_rows, sender=apps.get_app_config("sandbox_departments"),
                     dispatch_uid="sandbox_departments.simulation_rows")  # fmt: skip
