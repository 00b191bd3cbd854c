"""The number is kept so that a database dump does not expose it: a keyed hash to find the
person, a seal to use the number, the masked form to show it."""

import pytest
from django.db import connection

from enterprises.persons.models import Person
from enterprises.persons.protection import UnreadableIdentity, lookup_hash
from enterprises.persons.selectors import find_person
from enterprises.persons.services import InvalidResidentId, register_person
from qinqing.audit.models import AuditEvent

from .conftest import NUMBER, OTHER_NUMBER


def _dump() -> str:
    """Every row of the register of persons and the audit trail, as a dump would hold them."""
    lines = []
    with connection.cursor() as cursor:
        for table in ("enterprises_person", "audit_auditevent"):
            cursor.execute(f"select * from {table}")  # noqa: S608 - fixed table names
            for row in cursor.fetchall():
                lines.append(" ".join(bytes(v).hex() if isinstance(v, bytes | memoryview)
                                      else str(v) for v in row))  # fmt: skip
    return "\n".join(lines)


def test_the_database_never_holds_the_number(person):
    dump = _dump()
    assert person.id_masked in dump
    assert NUMBER not in dump
    assert NUMBER.encode().hex() not in dump
    assert NUMBER[6:14] + NUMBER[14:17] not in dump  # not even the birth date with the sequence


def test_the_sealed_number_opens_with_the_key(person):
    assert Person.objects.get(pk=person.pk).identity_number() == NUMBER


def test_a_seal_copied_to_another_person_does_not_open(person, other_person):
    other_person.id_sealed = person.id_sealed
    with pytest.raises(UnreadableIdentity):
        other_person.identity_number()


def test_the_lookup_hash_is_keyed(person, settings):
    assert find_person(NUMBER) == person
    assert find_person(NUMBER.lower()) == person
    settings.PERSON_ID_KEY = "another key"
    assert lookup_hash(NUMBER) != person.id_hash
    assert find_person(NUMBER) is None


def test_another_key_does_not_open_the_seal(person, settings):
    settings.PERSON_ID_KEY = "another key"
    with pytest.raises(UnreadableIdentity):
        Person.objects.get(pk=person.pk).identity_number()


def test_a_person_is_registered_once(person):
    again = register_person(number=" " + NUMBER.lower(), name="陈小青")
    assert again.pk == person.pk
    assert Person.objects.count() == 1


def test_only_the_minimum_is_kept(person):
    assert person.birth_year == 1996
    assert str(person) == f"陈小青 ({person.id_masked})"
    fields = {field.name for field in Person._meta.concrete_fields}
    assert fields == {"id", "id_hash", "id_sealed", "id_masked", "name", "birth_year", "user",
                      "registered_at"}  # fmt: skip


def test_a_wrong_number_is_refused_with_the_precise_problem(db):
    with pytest.raises(InvalidResidentId) as caught:
        register_person(number=OTHER_NUMBER[:17] + ("0" if OTHER_NUMBER[17] != "0" else "1"),
                        name="某人")  # fmt: skip
    assert "check character" in str(caught.value) or "校验" in str(caught.value)
    assert "identity_number" in caught.value.fields
    assert not Person.objects.exists()
    assert not AuditEvent.objects.filter(action="person.register").exists()


def test_the_registration_is_audited_masked(person):
    event = AuditEvent.objects.get(action="person.register")
    assert event.after["identity_number"] == person.id_masked
