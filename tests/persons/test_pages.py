"""A person's own pages, and who else sees a person's reads: the number appears masked
everywhere (pages in both languages, the API, the logs), never in full."""

import logging

import pytest
from django.urls import reverse

from datahub.catalogue import PERSON_CATALOGUE
from datahub.fetching.pipeline import fetch_person_facts
from datahub.models import DataCall
from enterprises.models import Enterprise
from enterprises.persons.models import Person
from qinqing.scoping import visible_to
from tests.factories import AuditorFactory, OfficialFactory, department, member_of

from .conftest import NUMBER, OTHER_NUMBER

PAGES = ["person_profile", "person_data_access", "person_subsidies"]


def _login(client, person):
    client.force_login(person.user)
    return client


def _read_by_the_system(person):
    return fetch_person_facts(
        person, list(PERSON_CATALOGUE), purpose="居民租房补贴资格核验 (rent subsidy check)"
    )


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_number_appears_only_masked_on_every_page_and_in_the_logs(
    client, person, language, caplog
):
    _read_by_the_system(person)
    _login(client, person)
    bodies = []
    with caplog.at_level(logging.DEBUG):
        for name in PAGES:
            response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, name
            bodies.append(response.content.decode())
        response = client.post(reverse("person_check_records"), HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        bodies.append(response.content.decode())
        for url in ("/api/v1/data-calls/", "/api/v1/me/"):
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, url
            bodies.append(response.content.decode())
    everything = "\n".join(bodies) + caplog.text
    assert NUMBER not in everything
    assert NUMBER.lower() not in everything
    assert person.id_masked in bodies[0]
    # The bank account of the social security card: masked too.
    account = fetch_person_facts(person, ["person.bank.account"], purpose="test").values()
    if account["person.bank.account"]:
        assert account["person.bank.account"] not in everything


def test_the_profile_shows_the_departments_answers_after_asking(client, person):
    _login(client, person)
    page = client.post(reverse("person_check_records"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Owns a home in the city" in page
    assert "Social Security" in page or "Human Resources" in page
    calls = DataCall.objects.filter(person=person)
    assert calls.count() == 4  # one per person interface
    assert {call.requested_by_id for call in calls} == {person.user_id}


def test_my_data_lists_the_reads_with_their_purpose(client, person):
    _read_by_the_system(person)
    _login(client, person)
    page = client.get(reverse("person_data_access"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "rent subsidy check" in page
    assert "Owns a home in the city" in page
    assert "the system" in page


def test_my_subsidies_says_what_comes_next_when_there_is_none(client, person):
    _login(client, person)
    page = client.get(reverse("person_subsidies"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No subsidy has been paid to you yet." in page
    assert reverse("policies:catalog") in page


def test_a_person_sees_only_their_own_reads(client, person, other_person):
    _read_by_the_system(person)
    assert visible_to(other_person.user, DataCall).count() == 0
    assert list(visible_to(person.user, DataCall)) == list(DataCall.objects.filter(person=person))
    _login(client, other_person)
    page = client.get(reverse("person_data_access"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "rent subsidy check" not in page
    assert "Nobody has read your data" in page
    assert client.get("/api/v1/data-calls/").json()["count"] == 0


def test_the_employer_and_other_departments_do_not_see_a_persons_reads(client, person):
    read = _read_by_the_system(person)
    employer = Enterprise.objects.filter(uscc=read.values()["person.hrss.employer_uscc"]).first()
    employer = employer or Enterprise.objects.first()
    taxation = OfficialFactory(department=department("taxation"))
    hrss_district = OfficialFactory(department=department("hrss"), district=employer.district)
    for user in (member_of(employer), taxation, hrss_district):
        assert not visible_to(user, DataCall).filter(person=person).exists(), user
        client.force_login(user)
        assert client.get(reverse("person_data_access")).status_code == 403
        assert client.get("/api/v1/data-calls/").json()["count"] == 0
    # The department that holds the data sees the calls made to it (as for enterprises);
    # the auditor every one, with the number masked.
    hrss_city = OfficialFactory(department=department("hrss"))
    assert visible_to(hrss_city, DataCall).filter(person=person).count() == 3
    assert visible_to(AuditorFactory(), DataCall).filter(person=person).count() == 4


def test_the_register_of_persons_is_the_persons_own(person, other_person, member):
    assert list(visible_to(person.user, Person)) == [person]
    assert not visible_to(member, Person).exists()
    assert not visible_to(OfficialFactory(department=department("hrss")), Person).exists()
    assert visible_to(AuditorFactory(), Person).count() == 2


def test_the_pages_are_for_a_signed_in_person(client, member):
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 302  # to the login page
    client.force_login(member)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse("person_check_records")).status_code == 403


def test_an_inactive_persons_login_sees_nothing(client, person):
    person.user.is_active = False
    person.user.save()
    assert not visible_to(person.user, DataCall).exists()
    assert not visible_to(person.user, Person).exists()


def test_the_other_number_is_not_on_the_first_persons_pages(client, person, other_person):
    _read_by_the_system(other_person)
    _login(client, person)
    for name in PAGES:
        assert OTHER_NUMBER[-4:] + "<" not in client.get(reverse(name)).content.decode()
        assert other_person.id_masked not in client.get(reverse(name)).content.decode()


def test_the_officials_call_log_and_its_export_never_show_the_number(client, person, caplog):
    _read_by_the_system(person)
    hrss_city = OfficialFactory(department=department("hrss"))
    bodies = []
    with caplog.at_level(logging.DEBUG):
        for user in (hrss_city, AuditorFactory()):
            client.force_login(user)
            for url in ("/official/data-calls/", "/official/data-calls/?export=csv",
                        "/api/v1/data-calls/"):  # fmt: skip
                response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
                assert response.status_code == 200, url
                bodies.append(response.content.decode())
    assert any("hrss.person_insurance" in body for body in bodies)  # the reads are listed
    assert NUMBER not in "\n".join(bodies) + caplog.text
