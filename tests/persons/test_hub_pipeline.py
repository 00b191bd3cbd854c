"""A person's facts go through the hub's one pipeline (datahub.fetching.pipeline.
fetch_facts_many): the same breaker, outcomes and call log as an enterprise's, with a person's
own rules: nothing cached, a purpose required, the identity number never logged."""

import logging

import pytest
from django.core.cache import cache
from django.test import override_settings

from datahub import circuit, providers
from datahub.fetching.facts import Fact, FactSet
from datahub.fetching.pipeline import fetch_facts_many, fetch_person_facts
from datahub.models import CallOutcome, DataCall
from datahub.providers import PersonPurposeRequired
from datahub.purposes import PurposeRequired
from qinqing.registry import Registry

from .conftest import NUMBER

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Breakers live in the cache: every test starts with them closed."""
    cache.clear()
    yield
    cache.clear()


def test_one_fact_type_for_both_subjects(person):
    facts = fetch_person_facts(person, ["person.hrss.insured"], purpose="test")
    assert isinstance(facts, FactSet)
    assert isinstance(facts["person.hrss.insured"], Fact)
    assert facts["person.hrss.insured"].shown in ("是", "否", "Yes", "No")


def test_several_persons_at_once_each_logged_as_alone(person, other_person):
    sets = fetch_facts_many([(person, "为甲核验"), (other_person, "为乙核验")],
                            ["person.hrss.insured", "person.housing.owns_home"])  # fmt: skip
    assert len(sets) == 2
    for who, purpose in ((person, "为甲核验"), (other_person, "为乙核验")):
        calls = DataCall.objects.filter(person=who)
        assert calls.count() == 2
        assert {c.purpose for c in calls} == {purpose}
        assert all(c.enterprise is None for c in calls)


def test_nothing_about_a_person_is_cached(person, monkeypatch):
    touched = []
    real_get, real_set = cache.get_many, cache.set_many
    monkeypatch.setattr(cache, "get_many", lambda keys: touched.extend(keys) or real_get(keys))
    monkeypatch.setattr(cache, "set_many", lambda entries, timeout=None: touched.extend(entries)
                        or real_set(entries, timeout=timeout))  # fmt: skip
    first = fetch_person_facts(person, ["person.hrss.insured"], purpose="test")
    second = fetch_person_facts(person, ["person.hrss.insured"], purpose="test")
    # Only the department's breaker is read: no fact of the person's is stored or looked up.
    assert touched and all(key.startswith("hub:breaker:") for key in touched)
    assert not first["person.hrss.insured"].from_cache
    assert not second["person.hrss.insured"].from_cache
    assert DataCall.objects.filter(person=person, outcome=CallOutcome.OK).count() == 2


def test_a_person_s_purpose_is_required_as_an_enterprise_s(person):
    with pytest.raises(PurposeRequired):  # the one vocabulary: PersonPurposeRequired is one
        fetch_person_facts(person, ["person.hrss.insured"], purpose="")
    with pytest.raises(PersonPurposeRequired):
        fetch_facts_many([(person, " ")], ["person.hrss.insured"])
    assert not DataCall.objects.exists()


def test_enterprises_and_persons_are_not_asked_about_at_once(person, register):
    with pytest.raises(TypeError):
        fetch_facts_many([(person, "x"), (register[0], "x")], ["person.hrss.insured"])


@override_settings(HUB_BREAKER_THRESHOLD=2)
def test_the_department_s_breaker_is_the_same_for_persons(person, monkeypatch, caplog):
    def broken(number, fields, as_of):
        raise RuntimeError(f"down while asked about {number}")

    monkeypatch.setattr(providers, "PERSON_PROVIDERS", Registry("person provider"))
    providers.register_person_provider("hrss.talent_catalogue", broken)
    with caplog.at_level(logging.DEBUG):
        for _ in range(2):
            facts = fetch_person_facts(person, ["person.talent.level"], purpose="test")
            assert facts["person.talent.level"].reason == CallOutcome.UNAVAILABLE
    assert circuit.state("hrss") == "open"
    facts = fetch_person_facts(person, ["person.talent.level"], purpose="test")
    assert facts["person.talent.level"].reason == CallOutcome.CIRCUIT_OPEN
    outcomes = list(DataCall.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == [CallOutcome.UNAVAILABLE, CallOutcome.UNAVAILABLE, CallOutcome.CIRCUIT_OPEN]
    assert f"person {person.pk}" in caplog.text
    assert NUMBER not in caplog.text
    assert not any(NUMBER in call.detail for call in DataCall.objects.all())


def test_no_record_is_not_found_and_does_not_trip_the_breaker(person, monkeypatch):
    def nobody(number, fields, as_of):
        raise providers.NoPersonRecord("no card")

    monkeypatch.setattr(providers, "PERSON_PROVIDERS", Registry("person provider"))
    providers.register_person_provider("hrss.social_security_card", nobody)
    facts = fetch_person_facts(person, ["person.bank.account"], purpose="test")
    assert facts["person.bank.account"].known is False
    assert facts["person.bank.account"].reason == CallOutcome.NOT_FOUND
    assert circuit.state("hrss") == "closed"


def test_a_garbled_answer_is_malformed(person, monkeypatch):
    monkeypatch.setattr(providers, "PERSON_PROVIDERS", Registry("person provider"))
    providers.register_person_provider("hrss.person_insurance",
                                       lambda number, fields, as_of: {"sfcb": "也许"})  # fmt: skip
    facts = fetch_person_facts(person, ["person.hrss.insured"], purpose="test")
    assert facts["person.hrss.insured"].reason == CallOutcome.MALFORMED
    assert DataCall.objects.get(person=person).outcome == CallOutcome.MALFORMED
