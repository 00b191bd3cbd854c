"""Person bulk extracts: the same facts as single answers, with the employer's enterprise
facts on each person's row; bulk registration of persons."""

from datetime import date
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection

from datahub.extracts.persons import read_person_snapshot
from datahub.extracts.reading import SnapshotMissing, read_snapshot
from datahub.extracts.refresh import refresh_extract, refresh_person_extract
from datahub.extracts.subjects import PERSONS, person_extract_departments
from datahub.fetching.pipeline import fetch_person_facts
from datahub.models import DataCall, SnapshotRefresh, Subject
from enterprises.models import Enterprise, EnterpriseStatus
from enterprises.persons.models import Person
from enterprises.persons.services import InvalidResidentId, register_many
from qinqing.audit.models import AuditEvent
from qinqing.resident_ids import make_resident_id
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 12, 1)
PERSON_FACTS = [
    "person.hrss.insured", "person.hrss.employer_uscc", "person.hrss.insured_since",
    "person.hrss.months_paid", "person.hrss.age", "person.talent.level",
    "person.bank.account", "person.bank.name", "person.housing.owns_home",
    "person.housing.provident_fund", "person.housing.provident_fund_monthly",
]  # fmt: skip
EMPLOYER_FACTS = ["hrss.insured_employees", "market.registration_status", "tax.annual_revenue"]


def numbers(count: int, born: date = date(1990, 4, 2), area: str = "330106") -> list[str]:
    return [make_resident_id(area, born, n) for n in range(1, count + 1)]


@pytest.fixture
def city(db):
    """Enterprises to insure people, 40 persons, every extract made."""
    enterprises = [EnterpriseFactory(status=EnterpriseStatus.ACTIVE) for _ in range(6)]
    rows = [(number, f"某{index}") for index, number in enumerate(numbers(30))]
    rows += [(number, "小某") for number in numbers(5, born=date(2019, 6, 1))]  # children
    rows += [(number, "老某") for number in numbers(5, born=date(1950, 1, 1))]  # retired
    register_many(rows)
    for code in ("hrss", "market", "taxation"):
        refresh_extract(code, purpose="test: batch", as_of=AS_OF)
    for code in person_extract_departments():
        refresh_person_extract(code, purpose="test: person batch", as_of=AS_OF)
    return enterprises


def test_person_extracts_exist_for_the_departments_that_answer_persons():
    assert person_extract_departments() == ["housing", "hrss"]


def test_a_person_fact_from_the_extract_equals_the_same_fact_fetched_alone(city):
    snapshot = read_person_snapshot(PERSON_FACTS)
    persons = list(Person.objects.all())
    assert snapshot.person_ids.tolist() == sorted(p.pk for p in persons)
    for person in persons:
        live = fetch_person_facts(person, PERSON_FACTS, purpose="test", as_of=AS_OF)
        for name in PERSON_FACTS:
            fact = live[name]
            expected = fact.value if fact.known else None
            if name.startswith("person.bank.") and not fact.known:
                expected = ""  # no card: the extract says none
            assert snapshot.value(person.pk, name) == expected, (person.pk, name)


def test_the_age_comes_from_the_birth_date():
    register_many([(make_resident_id("330106", date(1996, 12, 2), 7), "明天满三十"),
                   (make_resident_id("330106", date(1996, 12, 1), 9), "今天满三十")])  # fmt: skip
    refresh_person_extract("hrss", purpose="test", as_of=AS_OF)
    snapshot = read_person_snapshot(["person.hrss.age"])
    ages = {Person.objects.get(pk=pk).name: snapshot.value(pk, "person.hrss.age")
            for pk in snapshot.person_ids.tolist()}  # fmt: skip
    assert ages == {"明天满三十": 29, "今天满三十": 30}


def test_employer_facts_are_the_insuring_enterprise_s(city):
    snapshot = read_person_snapshot(["person.hrss.insured"], EMPLOYER_FACTS)
    enterprises = read_snapshot(EMPLOYER_FACTS)
    by_uscc = dict(Enterprise.objects.values_list("uscc", "id"))
    insured_facts = read_person_snapshot(["person.hrss.employer_uscc"])
    insured = snapshot.columns["person.hrss.insured"]
    assert insured.any() and not insured.all()
    for row, person_id in enumerate(snapshot.person_ids.tolist()):
        uscc = insured_facts.value(person_id, "person.hrss.employer_uscc")
        employer = snapshot.employer_ids[row]
        if not insured[row]:
            assert uscc == "" and employer == -1
            assert not any(snapshot.known[name][row] for name in EMPLOYER_FACTS)
            continue
        assert employer == by_uscc[uscc]
        for name in EMPLOYER_FACTS:
            assert snapshot.known[name][row]
            assert snapshot.value(person_id, name) == enterprises.value(employer, name)
    # The employer's columns hold no person fact's name and vice versa; nothing else.
    assert set(snapshot.columns) == {"person.hrss.insured", *EMPLOYER_FACTS}


def test_an_employer_gone_from_the_register_is_minus_one(city):
    snapshot = read_person_snapshot(["person.hrss.employer_uscc"])
    row = int(np.flatnonzero(snapshot.employer_ids >= 0)[0])
    gone = Enterprise.objects.get(pk=snapshot.employer_ids[row])
    Enterprise.objects.filter(pk=gone.pk).update(uscc="91330100MA0000000X")
    again = read_person_snapshot(["person.hrss.employer_uscc"], ["hrss.insured_employees"])
    assert again.employer_ids[row] == -1
    assert not again.known["hrss.insured_employees"][row]


def test_only_the_named_persons(city):
    chosen = sorted(Person.objects.values_list("id", flat=True))[3:6]
    snapshot = read_person_snapshot(["person.housing.owns_home"], EMPLOYER_FACTS, chosen)
    assert snapshot.person_ids.tolist() == chosen
    assert len(snapshot.employer_ids) == 3
    assert snapshot.as_of == AS_OF


def test_a_person_extract_never_made_is_missing(db):
    EnterpriseFactory()
    refresh_extract("hrss", purpose="test", as_of=AS_OF)
    with pytest.raises(SnapshotMissing):
        read_person_snapshot(["person.hrss.insured"])


def test_a_person_extract_is_not_the_enterprise_extract_of_the_department(db):
    EnterpriseFactory()
    register_many([(numbers(1)[0], "某")])
    refresh_person_extract("hrss", purpose="test", as_of=AS_OF)
    with pytest.raises(SnapshotMissing):
        read_snapshot(["hrss.insured_employees"])
    with pytest.raises(SnapshotMissing):  # the employer's facts need the enterprise extract
        read_person_snapshot(["person.hrss.insured"], ["hrss.insured_employees"])
    refresh_extract("hrss", purpose="test", as_of=AS_OF)
    read_person_snapshot(["person.hrss.insured"], ["hrss.insured_employees"])


def test_each_person_refresh_is_one_logged_call_naming_no_person(city):
    refreshes = SnapshotRefresh.objects.filter(subject=Subject.PERSON)
    assert {r.department.code for r in refreshes} == {"hrss", "housing"}
    assert all(r.rows == 40 and r.status == SnapshotRefresh.Status.DONE for r in refreshes)
    calls = DataCall.objects.filter(purpose="test: person batch")
    assert calls.count() == 2
    assert all(c.person is None and c.enterprise is None and c.rows == 40 for c in calls)


def test_a_second_refresh_adds_new_persons_and_keeps_the_rest(city):
    before = read_person_snapshot(PERSON_FACTS)
    register_many([(number, "新某") for number in numbers(3, born=date(1999, 9, 9))])
    refresh_person_extract("hrss", purpose="test", as_of=AS_OF)
    refresh_person_extract("housing", purpose="test", as_of=AS_OF)
    after = read_person_snapshot(PERSON_FACTS)
    assert len(after.person_ids) == len(before.person_ids) + 3
    kept = np.isin(after.person_ids, before.person_ids)
    for name in PERSON_FACTS:
        assert (after.columns[name][kept] == before.columns[name]).all(), name


def test_the_refresh_command_makes_the_person_extracts_too(db):
    EnterpriseFactory()
    register_many([(numbers(1)[0], "某")])
    out = StringIO()
    call_command("refresh_extracts", purpose="test", stdout=out)
    assert "hrss (persons)" in out.getvalue()
    read_person_snapshot(["person.hrss.insured", "person.housing.owns_home"])
    out = StringIO()
    call_command("refresh_extracts", purpose="test", subject="person", department=["housing"],
                 stdout=out)  # fmt: skip
    assert out.getvalue().splitlines()[0].startswith("housing (persons)")


def test_the_nightly_task_queues_the_person_extracts(db, settings):
    from datahub import tasks

    EnterpriseFactory()
    register_many([(numbers(1)[0], "某")])
    queued = tasks.refresh_all_extracts.apply().get()
    assert {"person:hrss", "person:housing"} <= set(queued)
    assert SnapshotRefresh.objects.filter(subject=Subject.PERSON, rows=1).count() == 2


def test_the_identity_numbers_are_in_no_extract_table(city):

    some = numbers(30)
    with connection.cursor() as cursor:
        for code in ("hrss", "housing"):
            cursor.execute(f"SELECT * FROM {PERSONS.table(code)}")  # noqa: S608
            text = repr(cursor.fetchall())
            assert not any(number in text for number in some)


# --- register_many ------------------------------------------------------------------------


def test_register_many_keeps_what_register_person_keeps(db):
    rows = [(number, f"某{n}") for n, number in enumerate(numbers(150))]
    assert register_many(rows) == 150
    person = Person.objects.get(name="某7")
    assert person.identity_number() == rows[7][0]
    assert person.id_masked == rows[7][0][:6] + "********" + rows[7][0][-4:]
    assert person.birth_year == 1990
    event = AuditEvent.objects.get(action="person.register_many")
    assert event.after["count"] == 150
    assert not any(number in repr(event.after) for number, _ in rows)


def test_register_many_skips_those_already_registered(db):
    first = numbers(5)
    register_many([(n, "某") for n in first[:2]])
    assert register_many([(n, "某") for n in first] + [(first[4], "重复")]) == 3
    assert Person.objects.count() == 5


def test_a_wrong_number_refuses_the_whole_call_naming_the_row(db):
    good = numbers(3)
    bad = good[1][:17] + ("0" if good[1][17] != "0" else "1")
    with pytest.raises(InvalidResidentId) as refused:
        register_many([(good[0], "某"), (bad, "某"), (good[2], "某")])
    message = str(refused.value.detail if hasattr(refused.value, "detail") else refused.value)
    assert "2" in message and "check character" in message
    assert bad not in message
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    "number, problem",
    [("33010619900230123X", "no date"), ("99010619900101123X", "province"),
     ("3301061990010112", "18 characters"), ("33010619900101A23X", "digit")],
)  # fmt: skip
def test_register_many_finds_what_register_person_finds(db, number, problem):
    with pytest.raises(InvalidResidentId, match=problem):
        register_many([(numbers(1)[0], "某"), (number, "某")])


def test_with_nobody_registered_the_person_extracts_are_empty(db):
    EnterpriseFactory()
    refresh_extract("hrss", purpose="test", as_of=AS_OF)
    for code in person_extract_departments():
        assert refresh_person_extract(code, purpose="test", as_of=AS_OF).rows == 0
    snapshot = read_person_snapshot(PERSON_FACTS, ["hrss.insured_employees"])
    assert len(snapshot.person_ids) == 0 and len(snapshot.employer_ids) == 0


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_whole_extract_read_by_copy_equals_the_rows_read_one_by_one(city):
    from datahub.extracts.reading import copied_columns, selected_columns
    from datahub.extracts.subjects import ENTERPRISES

    for subject, code in ((PERSONS, "hrss"), (PERSONS, "housing"), (ENTERPRISES, "hrss"),
                          (ENTERPRISES, "market"), (ENTERPRISES, "taxation")):  # fmt: skip
        specs = subject.facts(code)
        fast = copied_columns(subject.table(code), subject.key, specs)
        assert fast is not None, code
        slow = selected_columns(subject.table(code), subject.key, specs, None)
        assert fast[0].tolist() == slow[0].tolist()
        for spec in specs:
            assert fast[1][spec.name].dtype == slow[1][spec.name].dtype, spec.name
            assert fast[1][spec.name].tolist() == slow[1][spec.name].tolist(), spec.name


def test_a_person_missing_from_one_departments_extract_is_kept_unknown_for_its_facts(city):
    """Extracts made at different times may hold different persons: the snapshot has every
    person of either, each department's facts known only where its extract has the row
    (and every row where both extracts hold the same persons)."""
    names = ["person.hrss.insured", "person.housing.owns_home"]
    whole = read_person_snapshot(names)
    assert all(whole.known[name].all() for name in names)
    gone = int(whole.person_ids[3])
    with connection.cursor() as cursor:
        table = PERSONS.table("housing")  # the catalogue's name, not input
        cursor.execute(f"DELETE FROM {table} WHERE {PERSONS.key} = %s", [gone])  # noqa: S608
    snapshot = read_person_snapshot(names)
    assert snapshot.person_ids.tolist() == whole.person_ids.tolist()
    row = snapshot.person_ids.tolist().index(gone)
    assert not snapshot.known["person.housing.owns_home"][row]
    assert snapshot.known["person.hrss.insured"][row]
    others = np.arange(len(snapshot.person_ids)) != row
    for name in names:
        assert snapshot.known[name][others].all()
        assert (snapshot.columns[name][others] == whole.columns[name][others]).all()
