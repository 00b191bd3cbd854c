from celery import shared_task

from .services import publish_due


@shared_task(name="policies.tasks.publish_scheduled_versions")
def publish_scheduled_versions() -> list[int]:
    """Idempotent: a version is published once; a rerun finds nothing due."""
    return [version.pk for version in publish_due()]
