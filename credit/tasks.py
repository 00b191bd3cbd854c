"""Thin, idempotent tasks: each calls a service that looks at the data first."""

from celery import shared_task

from .grades.services import recompute_all
from .sweep import daily_sweep as sweep

# Work over every enterprise: longer limits than the project's default minute.
LONG = {"soft_time_limit": 1800, "time_limit": 1900}


@shared_task(name="credit.tasks.daily_sweep", acks_late=True, **LONG)
def daily_sweep() -> dict:
    """Beat, once a day: records and list entries past their term end, every grade is
    recomputed, the list rules are applied to every candidate."""
    return sweep()


@shared_task(name="credit.tasks.recompute_all_grades", acks_late=True, **LONG)
def recompute_all_grades() -> dict:
    return recompute_all(cause="task").as_json()
