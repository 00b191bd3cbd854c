"""Approvals under the one scoping rule (qinqing.scoping): an account switched off, a
department deactivated, an official moved between districts. Each sees and may act on
exactly what the rule says, on the pages' and the API's reads and in the services."""

import pytest
from rest_framework.test import APIClient

from approvals.selectors import applications_for, items_for, items_for_official
from approvals.services.applications import withdraw_application
from approvals.services.decisions import approve_item, request_supplement
from approvals.services.refusals import NotAllowed
from tests.factories import department, district

from .conftest import FIVE_ITEM_PROJECT, officials_for, submitted_project


@pytest.fixture
def filing(applicant, project_package):
    """The NDRC's filing item of a project submitted in Xihu."""
    application = submitted_project(applicant, project_package)
    return application.items.get(item_type__code="project-filing")


def _switch_off(user) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])


def test_an_inactive_applicant_sees_nothing_and_may_do_nothing(applicant, filing):
    user = applicant[0]
    assert applications_for(user).exists() and items_for(user).exists()
    _switch_off(user)
    assert not applications_for(user).exists()
    assert not items_for(user).exists()
    with pytest.raises(NotAllowed):
        withdraw_application(filing.application_id, actor=user)
    api = APIClient()
    api.force_authenticate(user)  # a token issued before the account was switched off
    assert api.get("/api/v1/approvals/applications/").json().get("count", 0) == 0


def test_an_inactive_official_sees_nothing_and_may_do_nothing(filing):
    official = officials_for("ndrc", "xihu")
    assert list(items_for_official(official)) == [filing]
    _switch_off(official)
    assert not items_for_official(official).exists()
    assert not applications_for(official).exists()
    with pytest.raises(NotAllowed):
        approve_item(filing.pk, actor=official)
    with pytest.raises(NotAllowed):
        request_supplement(filing.pk, actor=official, message="请补充")


def test_an_official_of_a_deactivated_department_sees_nothing(filing):
    official = officials_for("ndrc")
    assert items_for_official(official).exists()
    ndrc = department("ndrc")
    ndrc.is_active = False
    ndrc.save(update_fields=["is_active"])
    official.refresh_from_db()
    assert not items_for_official(official).exists()
    assert not applications_for(official).exists()
    with pytest.raises(NotAllowed):
        approve_item(filing.pk, actor=official)


def test_an_official_moved_to_another_district_sees_the_new_districts_items(
    applicant, project_package, filing
):
    in_binjiang = submitted_project(
        applicant, project_package, answers={**FIVE_ITEM_PROJECT, "district": "binjiang"}
    ).items.get(item_type__code="project-filing")
    official = officials_for("ndrc", "xihu")
    assert set(items_for_official(official)) == {filing}
    assert set(applications_for(official)) == {filing.application}

    official.district = district("binjiang")
    official.save(update_fields=["district"])
    assert set(items_for_official(official)) == {in_binjiang}
    assert set(applications_for(official)) == {in_binjiang.application}
    with pytest.raises(NotAllowed):  # the old district's item is no longer theirs
        approve_item(filing.pk, actor=official)
    approve_item(in_binjiang.pk, actor=official)
