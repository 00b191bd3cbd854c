"""The hub answers person facts deterministically, through the simulated departments, with
a purpose, and logs each read as a call about the person (never about an enterprise)."""

import logging
from datetime import date

import pytest

from datahub import providers
from datahub.catalogue import CATALOGUE, PERSON_CATALOGUE, FactType, UnknownFactError
from datahub.fetching.pipeline import fetch_person_facts
from datahub.models import CallOutcome, DataCall
from datahub.providers import PersonPurposeRequired
from enterprises.models import Enterprise
from enterprises.persons.services import register_person
from qinqing.registry import Registry
from qinqing.resident_ids import make_resident_id
from sandbox.departments.persons import register_ring, simulate_persons

from .conftest import NUMBER

ALL = list(PERSON_CATALOGUE)
AS_OF = date(2026, 12, 1)


def _values(person):
    return fetch_person_facts(person, ALL, purpose="test", as_of=AS_OF).values()


def test_the_same_person_gets_the_same_answers(person):
    first, second = _values(person), _values(person)
    assert first == second
    assert set(first) == set(ALL)


def test_answers_differ_between_persons(register):
    people = [register_person(number=make_resident_id("330106", date(1990, 1, 1), n), name="某")
              for n in range(1, 21)]  # fmt: skip
    answers = [_values(p) for p in people]
    assert len({a["person.bank.account"] for a in answers}) == len(people)
    assert len({a["person.housing.owns_home"] for a in answers}) == 2


def test_an_employer_is_an_active_enterprise_of_the_register(register):
    usccs = set(Enterprise.objects.values_list("uscc", flat=True))
    insured = 0
    for n in range(1, 41):
        person = register_person(number=make_resident_id("330106", date(1988, 5, 5), n), name="某")
        facts = _values(person)
        if facts["person.hrss.insured"]:
            insured += 1
            assert facts["person.hrss.employer_uscc"] in usccs
            assert facts["person.hrss.months_paid"] >= 1
            assert facts["person.hrss.insured_since"] <= AS_OF
        else:
            assert facts["person.hrss.employer_uscc"] == ""
            assert facts["person.hrss.insured_since"] is None
            assert facts["person.hrss.months_paid"] == 0
    assert 20 <= insured < 40  # most are insured, not all


def test_children_are_not_insured(register):
    child = register_person(number=make_resident_id("330106", date(2020, 1, 1), 5), name="小")
    facts = _values(child)
    assert facts["person.hrss.insured"] is False
    assert facts["person.housing.owns_home"] is False


def test_single_answers_and_the_bulk_columns_agree(register):
    numbers = [make_resident_id("330106", date(1985, 7, 9), n) for n in range(1, 11)]
    columns = simulate_persons(numbers, ALL, AS_OF, register_ring())
    for row, number in enumerate(numbers):
        values = _values(register_person(number=number, name="某"))
        assert values["person.hrss.insured"] == bool(columns["person.hrss.insured"][row])
        assert values["person.hrss.employer_uscc"] == columns["person.hrss.employer_uscc"][row]
        assert values["person.hrss.months_paid"] == columns["person.hrss.months_paid"][row]


def test_each_read_is_logged_about_the_person_and_no_enterprise(person, member):
    fetch_person_facts(person, ["person.hrss.insured", "person.housing.owns_home"],
                       purpose="居民租房补贴资格核验 (rent subsidy check)",
                       requested_by=member)  # fmt: skip
    calls = DataCall.objects.filter(person=person).order_by("interface")
    assert [c.interface for c in calls] == ["housing.person_property", "hrss.person_insurance"]
    assert {c.department.code for c in calls} == {"housing", "hrss"}
    for call in calls:
        assert call.enterprise is None
        assert call.purpose == "居民租房补贴资格核验 (rent subsidy check)"
        assert call.outcome == CallOutcome.OK
        assert call.requested_by == member
        assert len(call.response_hash) == 64


def test_no_purpose_no_read(person):
    with pytest.raises(PersonPurposeRequired):
        fetch_person_facts(person, ["person.hrss.insured"], purpose="  ")
    assert not DataCall.objects.exists()


def test_a_person_fact_is_never_asked_of_an_enterprise():
    assert not set(PERSON_CATALOGUE) & set(CATALOGUE)
    assert all(spec.subject == "person" for spec in PERSON_CATALOGUE.values())
    assert all(spec.subject == "enterprise" for spec in CATALOGUE.values())


def test_without_a_provider_the_facts_are_unknown_and_the_call_logged(person, monkeypatch):
    monkeypatch.setattr(providers, "PERSON_PROVIDERS", Registry("person provider"))
    facts = fetch_person_facts(person, ["person.talent.level"], purpose="test")
    assert facts["person.talent.level"].known is False
    assert DataCall.objects.get(person=person).outcome == CallOutcome.NO_PROVIDER


def test_a_failing_department_is_logged_without_the_number(person, monkeypatch, caplog):
    def broken(number, fields, as_of):
        raise RuntimeError(f"cannot find {number}")

    monkeypatch.setattr(providers, "PERSON_PROVIDERS", Registry("person provider"))
    providers.register_person_provider("hrss.talent_catalogue", broken)
    with caplog.at_level(logging.DEBUG):
        facts = fetch_person_facts(person, ["person.talent.level"], purpose="test")
    assert facts["person.talent.level"].reason == CallOutcome.UNAVAILABLE
    call = DataCall.objects.get(person=person)
    assert call.outcome == CallOutcome.UNAVAILABLE
    assert NUMBER not in call.detail
    assert caplog.records
    assert NUMBER not in caplog.text


def test_the_bank_account_is_shown_masked(person):
    fact = fetch_person_facts(person, ["person.bank.account"], purpose="test", as_of=AS_OF)[
        "person.bank.account"
    ]
    if not fact.known:  # nobody ever insured has no social security card
        pytest.skip("this person has no card")
    assert PERSON_CATALOGUE["person.bank.account"].type is FactType.TEXT
    assert fact.shown == "*" * (len(fact.value) - 4) + fact.value[-4:]


def test_an_unknown_person_fact_is_refused_before_any_call(person):
    with pytest.raises(UnknownFactError):
        fetch_person_facts(person, ["person.hrss.insured", "tax.arrears"], purpose="test")
    assert not DataCall.objects.exists()
