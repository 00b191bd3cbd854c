"""Hub tasks: the nightly bulk extracts, the enterprises' and the persons'."""

from celery import shared_task

from .models import Subject
from .snapshots import extract_departments, person_extract_departments, refresh_subject

NIGHTLY_PURPOSE = "nightly bulk extract for batch matching, grading and inspections"


@shared_task(name="datahub.tasks.refresh_extract", acks_late=True)
def refresh_extract_task(
    department: str, purpose: str = NIGHTLY_PURPOSE, subject: str = Subject.ENTERPRISE
) -> int:
    """Idempotent: a rerun brings the same extract up to date again. `subject`: the
    enterprises' extract of the department, or the persons' (issue #26)."""
    return refresh_subject(subject, department, purpose=purpose).rows


@shared_task(name="datahub.tasks.refresh_all_extracts")
def refresh_all_extracts(purpose: str = NIGHTLY_PURPOSE) -> list[str]:
    """One task per department and subject, so workers take them in parallel and a failure
    is retried for that extract alone. Returns the extracts queued ("hrss",
    "person:hrss", ...)."""
    queued = []
    for department in extract_departments():
        refresh_extract_task.delay(department, purpose)
        queued.append(department)
    for department in person_extract_departments():
        refresh_extract_task.delay(department, purpose, Subject.PERSON)
        queued.append(f"person:{department}")
    return queued
