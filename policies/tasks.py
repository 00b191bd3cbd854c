from celery import shared_task

from .services.publication import publish_due
from .watches import check_watches


@shared_task(name="policies.tasks.publish_scheduled_versions")
def publish_scheduled_versions() -> list[int]:
    """Idempotent: a version is published once; a rerun finds nothing due."""
    return [version.pk for version in publish_due()]


@shared_task(name="policies.tasks.check_qualify_watches")
def check_qualify_watches(enterprise_ids: list[int], facts: list[str] | None = None) -> list[int]:
    """Idempotent: a watch is fulfilled (and its members told) once; a rerun finds it closed."""
    return check_watches(enterprise_ids, facts or ())
