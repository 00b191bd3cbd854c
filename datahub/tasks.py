"""Hub tasks: the nightly bulk extracts."""

from celery import shared_task

from .snapshots import extract_departments, refresh_extract

NIGHTLY_PURPOSE = "nightly bulk extract for batch matching, grading and inspections"


@shared_task(name="datahub.tasks.refresh_extract", acks_late=True)
def refresh_extract_task(department: str, purpose: str = NIGHTLY_PURPOSE) -> int:
    """Idempotent: a rerun rebuilds the same extract and swaps it in whole."""
    return refresh_extract(department, purpose=purpose).rows


@shared_task(name="datahub.tasks.refresh_all_extracts")
def refresh_all_extracts(purpose: str = NIGHTLY_PURPOSE) -> list[str]:
    """One task per department, so workers take them in parallel and a failure is retried
    for that department alone."""
    departments = extract_departments()
    for department in departments:
        refresh_extract_task.delay(department, purpose)
    return departments
