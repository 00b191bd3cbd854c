"""What a private person's pages read, always through qinqing.scoping."""

from typing import Any

from django.db.models import QuerySet

from datahub.models import DataCall
from enterprises.persons.models import Person
from qinqing.scoping import visible_to


def reads_of_person(user: Any, person: Person) -> QuerySet[DataCall]:
    """Every read of the person's data this user may see: the person sees their own, an
    auditor every one; an enterprise (even the employer) and other officials none."""
    return (
        visible_to(user, DataCall.objects.select_related("department", "requested_by"))
        .filter(person=person)
        .order_by("-started_at", "-id")
    )
