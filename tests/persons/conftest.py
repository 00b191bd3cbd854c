"""Persons, their logins and the numbers they are known by."""

from datetime import date

import pytest

from accounts.models import Role
from enterprises.models import EnterpriseStatus
from enterprises.persons.services import link_login, register_person
from qinqing.resident_ids import make_resident_id
from tests.factories import EnterpriseFactory, UserFactory

# Born 1996-03-07 in Xihu: under 35, of working age.
NUMBER = make_resident_id("330106", date(1996, 3, 7), 123)
OTHER_NUMBER = make_resident_id("330108", date(1990, 11, 20), 456)


@pytest.fixture
def register(db):
    """A small register the simulated social insurance can place people in."""
    return [EnterpriseFactory(status=EnterpriseStatus.ACTIVE) for _ in range(5)]


def person_login(number: str, name: str):
    user = UserFactory(role=Role.PERSON, display_name=name)
    person = register_person(number=number, name=name)
    link_login(person=person, user=user)
    return person, user


@pytest.fixture
def person(register):
    return person_login(NUMBER, "陈小青")[0]


@pytest.fixture
def other_person(register):
    return person_login(OTHER_NUMBER, "林大山")[0]
