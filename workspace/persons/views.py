"""A private person's pages: profile, "who read my data", "my subsidies". Only the person
themself opens them; the identity number appears only masked."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from datahub.catalogue import PERSON_CATALOGUE
from datahub.providers import fetch_person_facts
from departments.models import Department
from enterprises.persons.models import Person
from enterprises.persons.selectors import person_of
from qinqing.listing import paginate

from .selectors import reads_of_person

PAGE_SIZE = 50
# The purpose a person's own look at their records is logged with (their own words).
OWN_REQUEST_PURPOSE = "本人查询个人信息 (you asked to see your own records)"


def _own_person(request: HttpRequest) -> Person:
    person = person_of(request.user)
    if person is None:
        raise PermissionDenied(_("These pages are for a private person signed in as themself."))
    return person


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Who the register knows: name, masked number, birth year; and what the departments
    hold, when the person asks for it (each ask a logged read)."""
    person = _own_person(request)
    return render(request, "persons/profile.html", {"person": person, "facts": None})


@login_required
@require_POST
def check_records(request: HttpRequest) -> HttpResponse:
    """The person asks the departments what they hold about them: one logged read per
    department interface, with the purpose in the person's words."""
    person = _own_person(request)
    read = fetch_person_facts(
        person, list(PERSON_CATALOGUE), purpose=OWN_REQUEST_PURPOSE, requested_by=request.user
    )
    departments = Department.objects.in_bulk(field_name="code")
    facts = [
        {"fact": fact, "department": departments.get(fact.department, fact.department)}
        for fact in read.facts.values()
    ]
    return render(request, "persons/profile.html", {"person": person, "facts": facts})


@login_required
def data_access(request: HttpRequest) -> HttpResponse:
    """Who read my data, when and why."""
    person = _own_person(request)
    page, _query = paginate(request, reads_of_person(request.user, person), PAGE_SIZE)
    return render(request, "persons/data_access.html", {"person": person, "page": page})


@login_required
def subsidies(request: HttpRequest) -> HttpResponse:
    """The subsidies paid to the person (none yet: policies for persons come next)."""
    person = _own_person(request)
    return render(request, "persons/subsidies.html", {"person": person})
