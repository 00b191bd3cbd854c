"""Real concurrency on PostgreSQL: departments deciding one application's items at once."""

import pytest

from approvals.models import ApplicationStatus, ItemStatus, Permit
from approvals.services.applications import submit_application
from approvals.services.decisions import approve_item, reject_item
from qinqing.audit.models import AuditEvent
from qinqing.errors import Conflict
from tests.subsidies.test_concurrency import race

from .conftest import officials_for, submitted_project

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_five_departments_approving_at_the_same_instant_approve_the_application_once(
    applicant, project_package
):
    application = submitted_project(applicant, project_package)
    items = list(application.items.select_related("department"))
    officials = [officials_for(item.department.code) for item in items]
    race(len(items), lambda i: approve_item(items[i].pk, actor=officials[i]))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert set(application.items.values_list("status", flat=True)) == {ItemStatus.APPROVED}
    assert Permit.objects.filter(item__application=application).count() == 5
    assert (
        AuditEvent.objects.filter(
            action="approvals.application.approved", object_id=str(application.pk)
        ).count()
        == 1
    )


def test_one_item_decided_twice_at_once_is_decided_once(applicant, project_package):
    application = submitted_project(applicant, project_package)
    filing = application.items.get(item_type__code="project-filing")
    official = officials_for("ndrc")

    def decide(i):
        try:
            if i % 2:
                return approve_item(filing.pk, actor=official).status
            return reject_item(filing.pk, actor=official, reasons="不符合").status
        except Conflict:
            return "refused"

    results = race(8, decide)
    assert results.count("refused") == 7
    filing.refresh_from_db()
    assert (
        AuditEvent.objects.filter(
            object_id=str(filing.pk),
            action__in=["approvals.item.approved", "approvals.item.rejected"],
        ).count()
        == 1
    )
    assert Permit.objects.filter(item=filing).count() == (filing.status == ItemStatus.APPROVED)


def test_submitting_from_two_tabs_at_once_makes_one_set_of_items(applicant, project_package):
    from .conftest import draft_project

    application = draft_project(applicant, project_package)

    def submit(_i):
        try:
            submit_application(application.pk, actor=applicant[0])
            return "ok"
        except Conflict:
            return "refused"

    assert sorted(race(4, submit)) == ["ok", "refused", "refused", "refused"]
    assert application.items.count() == 5
