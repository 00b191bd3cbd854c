"""Registering persons and their logins; each change audited, the number never in the
trail (the masked form is)."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from qinqing.audit.services import record_event
from qinqing.errors import Invalid
from qinqing.resident_ids import (
    birth_date_of,
    find_resident_id_problem,
    mask_resident_id,
    normalise_resident_id,
)

from .models import Person
from .protection import lookup_hash, seal


class InvalidResidentId(Invalid):
    code = "invalid_resident_id"


@transaction.atomic
def register_person(*, number: str, name: str, actor: Any = None) -> Person:
    """The person with this number, registered once (a second call returns the same row).
    A wrong number is refused with the precise problem (check character, date, region)."""
    number = normalise_resident_id(number)
    problem = find_resident_id_problem(number)
    if problem is not None:
        raise InvalidResidentId(problem.message, fields={"identity_number": [problem.message]})
    digest = lookup_hash(number)
    existing = Person.objects.select_for_update().filter(id_hash=digest).first()
    if existing is not None:
        return existing
    born = birth_date_of(number)
    person = Person.objects.create(
        id_hash=digest,
        id_sealed=seal(number, digest),
        id_masked=mask_resident_id(number),
        name=name.strip(),
        birth_year=born.year,
    )
    record_event(
        actor=actor,
        action="person.register",
        obj=person,
        after={"identity_number": person.id_masked, "name": person.name,
               "birth_year": person.birth_year},
    )  # fmt: skip
    return person


@transaction.atomic
def link_login(*, person: Person, user: Any, actor: Any = None) -> Person:
    """Let a private person's login see this person's records."""
    if not getattr(user, "is_person", False):
        raise Invalid(_("Only a private person's login can be linked to a person."))
    before = {"user_id": person.user_id}
    person.user = user
    person.save(update_fields=["user"])
    record_event(actor=actor, action="person.link_login", obj=person, before=before,
                 after={"user_id": user.pk})  # fmt: skip
    return person
