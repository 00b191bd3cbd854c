"""The orchestrator: each part written in order in one transaction, then the inspection
campaign through the services."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from policies.models import Policy

from .approvals import write_approvals
from .city import POLICY_PREFIX, WINDOW_MONTHS, CityData, Summary, Volumes
from .credit import draw_inspections, write_credit_grades
from .directline import write_requests
from .enterprises import load_register, write_enterprises
from .hub_calls import write_data_calls
from .policies_and_claims import write_policies_and_claims
from .users import write_users


class AlreadyGenerated(Exception):
    """The database already holds generated data and --force was not given."""


def run(city: CityData, *, force: bool = False) -> Summary:
    codes = Policy.objects.filter(code__startswith=POLICY_PREFIX).values_list("code", flat=True)
    generations = {int(code.split("-")[1]) for code in codes if code.split("-")[1].isdigit()}
    if generations and not force:
        raise AlreadyGenerated(
            f"generated data is already here (generation {max(generations)}); "
            "run with --force to add another generation"
        )
    city.generation = max(generations, default=0) + 1
    city.summary.generation = city.generation
    city.log(f"generating generation {city.generation}, {city.start:%Y-%m-%d} to {city.as_of}")
    with transaction.atomic():
        city.step("enterprises", lambda: write_enterprises(city))
        city.step("credit_grades", lambda: write_credit_grades(city))
        load_register(city)
        city.step("users", lambda: write_users(city))
        city.step("claims", lambda: write_policies_and_claims(city))
        city.step("approvals", lambda: write_approvals(city))
        city.step("requests", lambda: write_requests(city))
        city.step("data_calls", lambda: write_data_calls(city))
        committing = time.perf_counter()
    # PostgreSQL checks the deferred foreign keys of every row written at the commit:
    # a good part of the whole at full volume, so it is reported as a step of its own.
    city.summary.seconds["commit"] = round(time.perf_counter() - committing, 2)
    city.log(f"commit (foreign keys checked): {city.summary.seconds['commit']:.1f} s")
    if connection.vendor == "postgresql":
        # Fresh statistics, or the planner guesses for every query that follows.
        city.step("analyze", _analyze)
    city.step("inspections", lambda: draw_inspections(city))
    return city.summary


def _analyze() -> int:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return 0


def generate(
    volumes: Volumes,
    *,
    as_of: date | None = None,
    seed: int = 2021,
    force: bool = False,
    log: Callable[[str], None] = print,
    months: int = WINDOW_MONTHS,
    seasonal: bool = False,
) -> Summary:
    """Write a city's data; see sandbox/city/generator/__init__.py."""
    city = CityData(
        volumes,
        as_of=as_of or timezone.localdate(),
        seed=seed,
        log=log,
        months=months,
        seasonal=seasonal,
    )
    return run(city, force=force)
