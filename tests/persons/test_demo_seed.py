"""The demo's private person: a login insured (in the simulation) at the demo enterprise."""

from io import StringIO

from django.core.management import call_command
from django.urls import reverse

from datahub.fetching.pipeline import fetch_person_facts
from datahub.models import DataCall
from enterprises.models import Enterprise
from enterprises.persons.models import Person
from sandbox.city.logins import DEMO_PASSWORD


def test_the_demo_person_logs_in_and_works_at_the_demo_enterprise(db, client):
    call_command("seed_demo", enterprises=60, stdout=StringIO(), stderr=StringIO())
    call_command("seed_demo_persons", stdout=StringIO(), stderr=StringIO())
    call_command("seed_demo_persons", stdout=StringIO(), stderr=StringIO())  # idempotent
    person = Person.objects.get()
    assert person.user.username == "person"
    assert DataCall.objects.filter(person=person).count() == 4  # the demo read, once
    names = ["person.hrss.employer_uscc", "person.hrss.insured", "person.housing.owns_home"]
    facts = fetch_person_facts(person, names, purpose="test").values()
    # The login is the person's own, not a member of the enterprise.
    assert not person.user.enterprise_memberships.exists()
    demo_enterprises = Enterprise.objects.filter(
        memberships__user__username="enterprise"
    ).values_list("uscc", flat=True)
    assert facts["person.hrss.insured"] is True
    assert facts["person.hrss.employer_uscc"] in set(demo_enterprises)
    assert facts["person.housing.owns_home"] is False
    response = client.post("/accounts/login/", {"username": "person", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    page = client.get(reverse("person_data_access"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "demo: employee rent subsidy pre-check" in page
