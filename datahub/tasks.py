"""Hub tasks: the nightly bulk extracts, the enterprises' and the persons'."""

from celery import shared_task

from .extracts.refresh import refresh_rows, refresh_subject
from .extracts.subjects import PERSONS, extract_departments, person_extract_departments
from .models import Subject
from .signals import send_facts_changed

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


@shared_task(name="datahub.tasks.refresh_person_rows", acks_late=True)
def refresh_person_rows(person_ids: list[int]) -> list[str]:
    """New persons in the register: their rows of every person extract made so far, then
    the apps above told (facts_changed, cause "registered", the persons in `person_ids`)
    so that the open policies are evaluated for them. Idempotent: a rerun finds the rows
    already there and writes nothing. Returns the departments refreshed."""
    done = refresh_rows(person_ids, subject=PERSONS)
    if done:
        send_facts_changed([], [], "registered", person_ids=sorted(person_ids))
    return done
