"""Registering persons and their logins; each change audited, the number never in the
trail (the masked form is)."""

from collections.abc import Iterable
from itertools import islice
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qinqing.audit.services import record_event, record_rows
from qinqing.bulk import insert_values
from qinqing.errors import Invalid
from qinqing.resident_ids import (
    birth_date_of,
    birth_years,
    find_resident_id_problem,
    invalid_resident_ids,
    mask_resident_id,
    normalise_resident_id,
)

from .models import Person
from .protection import lookup_hash, lookup_hashes, seal, seal_many
from .signals import person_registered


class InvalidResidentId(Invalid):
    code = "invalid_resident_id"


@transaction.atomic
def register_person(*, number: str, name: str, actor: Any = None) -> Person:
    """The person with this number, registered once (a second call returns the same row).
    A wrong number is refused with the precise problem (check character, date, region).
    Once committed, the apps above hear of the new person (signals.person_registered)."""
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
    pk = person.pk
    transaction.on_commit(lambda: person_registered.send(sender=Person, person_id=pk),
                          robust=True)  # fmt: skip
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


# Rows validated, hashed, sealed and written this many at a time (memory stays flat for
# millions).
REGISTER_CHUNK = 100_000
_NAME_MAX = Person._meta.get_field("name").max_length


@transaction.atomic
def register_many(rows: Iterable[tuple[str, str]], *, actor: Any = None) -> int:
    """Register many persons at once from (identity number, name) rows: demo data, the
    bench, a department's list. All or nothing: a wrong number or name refuses the whole
    call, naming the row (counted from 1) and its problem, never the number. A number
    already registered (or repeated in `rows`) is skipped, as register_person would return
    the existing person. Hash, seal, mask and birth year computed in bulk, the rows written
    with qinqing.bulk (COPY on PostgreSQL). One audit event for the call (how many, which
    ids), not one per person. Returns how many persons were new."""
    before = Person.objects.aggregate(last=Max("id"))["last"] or 0
    offered = 0
    seen: set[str] = set()
    iterator = iter(rows)
    while chunk := list(islice(iterator, REGISTER_CHUNK)):
        numbers = [normalise_resident_id(str(number)) for number, _name in chunk]
        names = [str(name).strip() for _number, name in chunk]
        bad = invalid_resident_ids(numbers)
        if len(bad):
            row = int(bad[0])
            problem = find_resident_id_problem(numbers[row])
            message = problem.message if problem else gettext("not a valid identity number")
            _refuse_row(offered + row, message)
        for row, name in enumerate(names):
            if not name or len(name) > _NAME_MAX:
                _refuse_row(offered + row, gettext("a name has 1 to %(max)d characters")
                            % {"max": _NAME_MAX})  # fmt: skip
        offered += len(chunk)
        keep = [row for row, number in enumerate(numbers)
                if not (number in seen or seen.add(number))]  # fmt: skip
        numbers = [numbers[row] for row in keep]
        names = [names[row] for row in keep]
        digests = lookup_hashes(numbers)
        sealed = seal_many(numbers, digests)
        masked = [f"{number[:6]}{'*' * 8}{number[14:]}" for number in numbers]
        years = birth_years(numbers).tolist()
        # In the order of the lookup hash: the unique index on it then grows at its right
        # edge instead of at random pages (about 40% faster on PostgreSQL).
        insert_values(
            Person,
            ["id_hash", "id_sealed", "id_masked", "name", "birth_year"],
            sorted(zip(digests, sealed, masked, names, years, strict=True)),
            ignore_conflicts=True,
        )
    made = Person.objects.filter(id__gt=before).aggregate(
        count=Count("id"), first=Min("id"), last=Max("id")
    )
    if made["count"]:
        record_rows(
            actor=actor,
            model=Person,
            events=[("person.register_many", made["first"], f"{made['count']} persons", None,
                     {"count": made["count"], "first_id": made["first"],
                      "last_id": made["last"]})],
        )  # fmt: skip
    return made["count"]


def _refuse_row(row: int, message: str) -> None:
    text = gettext("Row %(row)d: %(problem)s") % {"row": row + 1, "problem": message}
    raise InvalidResidentId(text, fields={"identity_number": [text]})
