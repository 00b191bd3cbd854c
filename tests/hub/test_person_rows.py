"""Per-row person extracts (issue #26): a person registered one at a time is known to the
person extracts at once — the same `refresh_rows` as an enterprise's, with the persons'
subject — and the apps above hear of them; a bulk registration waits for the full refresh.
Whom an employer's change reaches: the persons the extract (corrections overlaid) shows
insured by it."""

from datetime import date

import numpy as np
import pytest

from datahub.catalogue import PERSON_CATALOGUE
from datahub.corrections import period_of, record_correction
from datahub.extracts.persons import persons_insured_by, read_person_snapshot
from datahub.extracts.refresh import refresh_extract, refresh_person_extract, refresh_rows
from datahub.extracts.subjects import PERSONS
from datahub.fetching.pipeline import fetch_person_facts
from datahub.models import SnapshotRefresh
from datahub.signals import facts_changed
from enterprises.models import EnterpriseStatus
from enterprises.persons.models import Person
from enterprises.persons.services import register_many, register_person
from qinqing.resident_ids import make_resident_id
from tests.factories import EnterpriseFactory, OfficialFactory, department

pytestmark = pytest.mark.django_db
AS_OF = date.today()
FACTS = ["person.hrss.insured", "person.hrss.employer_uscc", "person.hrss.months_paid",
         "person.housing.owns_home"]  # fmt: skip
EMPLOYER = "person.hrss.employer_uscc"


def number(serial: int) -> str:
    return make_resident_id("330106", date(1990, 4, 2), serial)


@pytest.fixture
def city(db):
    """Enterprises to insure people, 30 persons, every person extract made."""
    enterprises = [EnterpriseFactory(status=EnterpriseStatus.ACTIVE) for _ in range(5)]
    register_many([(number(serial), f"某{serial}") for serial in range(1, 31)])
    refresh_extract("ndrc", purpose="test", as_of=AS_OF)
    for code in ("hrss", "housing"):
        refresh_person_extract(code, purpose="test", as_of=AS_OF)
    return enterprises


@pytest.fixture
def heard():
    got: list[dict] = []

    def listen(sender, **kwargs):
        got.append({key: kwargs.get(key) for key in ("enterprise_ids", "person_ids", "cause")})

    facts_changed.connect(listen, dispatch_uid="test.person_rows")
    yield got
    facts_changed.disconnect(dispatch_uid="test.person_rows")


def test_a_person_registered_is_known_to_the_extracts_at_once(
    city, heard, django_capture_on_commit_callbacks
):
    refreshes = SnapshotRefresh.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        newcomer = register_person(number=number(99), name="新来的")
    snapshot = read_person_snapshot(FACTS, person_ids=[newcomer.pk])
    live = fetch_person_facts(newcomer, FACTS, purpose="test", as_of=AS_OF)
    for name in FACTS:
        assert snapshot.known[name][0], name
        assert snapshot.value(newcomer.pk, name) == live[name].value, name
    # Its rows only: no full refresh, and the apps above told of the person alone.
    assert SnapshotRefresh.objects.count() == refreshes
    assert heard == [{"enterprise_ids": [], "person_ids": [newcomer.pk], "cause": "registered"}]
    # Registering the same number again is the same person: nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert register_person(number=number(99), name="新来的") == newcomer
    assert len(heard) == 1


def test_a_bulk_registration_waits_for_the_full_refresh(
    city, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        register_many([(number(serial), "批量") for serial in range(100, 105)])
    assert heard == []
    before = len(read_person_snapshot(FACTS).person_ids)
    with django_capture_on_commit_callbacks(execute=True):
        refresh_person_extract("hrss", purpose="test", as_of=AS_OF)
    assert len(read_person_snapshot(["person.hrss.months_paid"]).person_ids) == before + 5
    assert heard[-1]["cause"] == "extract" and len(heard[-1]["person_ids"]) == 5


def test_refresh_rows_of_persons_before_any_extract_does_nothing(db):
    person = register_person(number=number(7), name="无提取")
    assert refresh_rows([person.pk], subject=PERSONS) == []


def test_whom_an_employers_change_reaches(city):
    snapshot = read_person_snapshot([EMPLOYER])
    insured = snapshot.employer_ids >= 0
    employer = int(np.bincount(snapshot.employer_ids[insured]).argmax())
    expected = sorted(snapshot.person_ids[snapshot.employer_ids == employer].tolist())
    assert expected and persons_insured_by([employer]) == expected
    assert persons_insured_by([]) == []
    # A person whose employer was corrected to it on a dispute is reached too.
    outsider = int(snapshot.person_ids[snapshot.employer_ids != employer][0])
    uscc = next(e.uscc for e in city if e.pk == employer)
    spec = PERSON_CATALOGUE[EMPLOYER]
    official = OfficialFactory(department=department("hrss"), district=None)
    record_correction(person=Person.objects.get(pk=outsider), spec=spec,
                      period=period_of(spec), value=uscc, dispute_reference="ZY1",
                      official=official)  # fmt: skip
    assert persons_insured_by([employer]) == sorted([*expected, outsider])
    assert read_person_snapshot([EMPLOYER]).employer_ids[
        np.searchsorted(snapshot.person_ids, outsider)] == employer  # fmt: skip
