"""A private person's pages: profile, "who read my data", "my subsidies". Only the person
themself opens them; the identity number appears only masked."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from datahub.catalogue import PERSON_CATALOGUE
from datahub.fetching.pipeline import fetch_person_facts
from departments.models import Department
from enterprises.persons.models import Person
from enterprises.persons.selectors import person_of
from policies.models import Policy
from qinqing.errors import ServiceError, show_on_page
from qinqing.listing import paginate
from subsidies.claims import submit_claim
from subsidies.selectors import claim_status_label, claim_steps

from .selectors import (
    check_policies,
    claim_rows,
    claims_of,
    open_person_versions,
    payment_of,
    person_criteria,
    reads_of_person,
)

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


def _subsidies_page(request: HttpRequest, person: Person, checks: list | None) -> HttpResponse:
    page, _query = paginate(request, claims_of(request.user, person), PAGE_SIZE)
    return render(request, "persons/subsidies.html", {
        "person": person, "page": page, "rows": claim_rows(page.object_list),
        "open_policies": open_person_versions(timezone.localdate()), "checks": checks,
    })  # fmt: skip


@login_required
def subsidies(request: HttpRequest) -> HttpResponse:
    """The subsidies the person receives: each claim's policy, period, amount, status in
    plain words and payment (reference, bank, the account masked); the open policies for
    employees, checked for the person when they ask (each check a logged read)."""
    return _subsidies_page(request, _own_person(request), None)


@login_required
@require_POST
def check_subsidies(request: HttpRequest) -> HttpResponse:
    """The person asks which open policies for employees they qualify for: each decided
    with its reasons, through the hub, each read logged with the person's purpose."""
    person = _own_person(request)
    return _subsidies_page(request, person, check_policies(request.user, person))


@login_required
@require_POST
def claim_policy(request: HttpRequest, code: str) -> HttpResponse:
    """The person's own claim (subsidies.claims.submit_claim(person=)): checked at once in
    the one pipeline; its page follows it. A second click is the first claim."""
    person = _own_person(request)
    policy = get_object_or_404(Policy, code=code)
    try:
        made, _created = submit_claim(policy=policy, actor=request.user, person=person)
    except ServiceError as error:
        show_on_page(request, error)
        return redirect("person_subsidies")
    messages.success(request, _("Your claim was made: it is checked against the departments' "
                                "data now."))  # fmt: skip
    return redirect("person_claim", pk=made.pk)


@login_required
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the person's claims: its steps, its reasons (each fact, who holds it, when it
    was read, a link to dispute it) and its payment. Another person's claim is a 404."""
    person = _own_person(request)
    found = get_object_or_404(claims_of(request.user, person), pk=pk)
    criteria, formula = person_criteria(found)
    return render(request, "persons/claim.html", {
        "person": person, "claim": found, "steps": claim_steps(found),
        "status_label": claim_status_label(found), "payment": payment_of(found),
        "criteria": criteria, "formula": formula,
    })  # fmt: skip
