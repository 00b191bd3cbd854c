"""Finding persons: by their number (through its keyed hash, never the number itself) or
by their login."""

from typing import Any

from qinqing.resident_ids import normalise_resident_id
from qinqing.scoping import is_active_user, visible_to

from .models import Person
from .protection import lookup_hash


def find_person(number: str) -> Person | None:
    """The person with this resident identity number, if registered."""
    return Person.objects.filter(id_hash=lookup_hash(normalise_resident_id(number))).first()


def person_of(user: Any) -> Person | None:
    """The register's person this login is, for an active private person; None otherwise."""
    if not is_active_user(user) or not getattr(user, "is_person", False):
        return None
    return visible_to(user, Person).first()
