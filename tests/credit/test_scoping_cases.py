"""Credit's rows through the one scope (qinqing.scoping), in the cases role ladders got
wrong: a deactivated account, an official whose department was deactivated, an official
moved to another district. And the rule itself: records are shared across departments,
commitments are the verifying department's."""

import pytest

from credit.commitments.selectors import commitments_visible_to
from credit.commitments.services import may_verify, start_verification
from credit.errors import CreditNotAllowed
from credit.grades.selectors import grade_changes_visible_to
from credit.lists.selectors import list_entries_visible_to
from credit.records.selectors import records_visible_to
from credit.records.services import add_record
from credit.repair.selectors import repairs_visible_to
from tests.factories import (
    CommitmentFactory,
    CreditRecordFactory,
    EnterpriseFactory,
    OfficialFactory,
    department,
    district,
    member_of,
)

pytestmark = pytest.mark.django_db

SELECTORS = [records_visible_to, commitments_visible_to, list_entries_visible_to,
             repairs_visible_to, grade_changes_visible_to]  # fmt: skip


@pytest.fixture
def city():
    xihu = EnterpriseFactory(district=district("xihu"))
    binjiang = EnterpriseFactory(district=district("binjiang"))
    member = member_of(xihu)
    return {
        "xihu": xihu,
        "binjiang": binjiang,
        "member": member,
        "xihu_record": CreditRecordFactory(enterprise=xihu, title="西湖的处罚"),
        "binjiang_record": CreditRecordFactory(enterprise=binjiang, title="滨江的处罚"),
        "xihu_commitment": CommitmentFactory(enterprise=xihu, accepted_by=member),
    }


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_a_deactivated_member_sees_no_credit_row_and_loses_the_pages(city, client, api_client):
    member = city["member"]
    api_client.force_authenticate(member)
    assert ids(api_client.get("/api/v1/credit/records/")) == {city["xihu_record"].pk}
    member.is_active = False
    member.save()
    for selector in SELECTORS:
        assert not selector(member).exists(), selector.__name__
    # A session or token that outlived the deactivation reads nothing.
    assert ids(api_client.get("/api/v1/credit/records/")) == set()
    assert ids(api_client.get("/api/v1/credit/commitments/")) == set()
    client.force_login(member)
    assert client.get("/credit/records/").status_code == 302  # to the login page


def test_an_official_of_a_deactivated_department_sees_and_does_nothing(city, api_client):
    official = OfficialFactory(department=department("market"), district=None)
    commitment = city["xihu_commitment"]
    assert may_verify(official, commitment)
    market = official.department
    market.is_active = False
    market.save()
    official.refresh_from_db()
    for selector in SELECTORS:
        assert not selector(official).exists(), selector.__name__
    api_client.force_authenticate(official)
    assert ids(api_client.get("/api/v1/credit/records/")) == set()
    step = api_client.post(f"/api/v1/credit/commitments/{commitment.pk}/start-verification/")
    assert step.status_code == 404  # not within what they may see
    assert not may_verify(official, commitment)
    with pytest.raises(CreditNotAllowed):
        start_verification(commitment.pk, actor=official)
    with pytest.raises(CreditNotAllowed):
        add_record(enterprise=city["xihu"], kind="administrative_penalty", severity="general",
                   title="罚款", occurred_on=city["xihu_record"].occurred_on,
                   actor=official)  # fmt: skip


def test_an_official_moved_to_another_district_follows_the_move(city, client):
    official = OfficialFactory(department=department("market"), district=district("binjiang"))
    commitment = city["xihu_commitment"]
    assert set(records_visible_to(official).values_list("pk", flat=True)) == {
        city["binjiang_record"].pk
    }
    assert not commitments_visible_to(official).exists()
    assert not may_verify(official, commitment)
    client.force_login(official)
    assert client.get(f"/credit/commitments/{commitment.pk}/").status_code == 404

    official.district = district("xihu")
    official.save()
    assert set(records_visible_to(official).values_list("pk", flat=True)) == {
        city["xihu_record"].pk
    }
    assert list(commitments_visible_to(official)) == [commitment]
    assert may_verify(official, commitment)
    assert client.get(f"/credit/commitments/{commitment.pk}/").status_code == 200
    page = client.get("/credit/records/").content.decode()
    assert "西湖的处罚" in page and "滨江的处罚" not in page


def test_records_are_shared_across_departments_commitments_are_the_verifier_s(city):
    tax = OfficialFactory(department=department("taxation"), district=None)
    # Every department's records in the official's area (the city here)...
    assert set(records_visible_to(tax).values_list("pk", flat=True)) >= {
        city["xihu_record"].pk, city["binjiang_record"].pk
    }  # fmt: skip
    # ...but a commitment only where their department verifies it.
    assert not commitments_visible_to(tax).filter(pk=city["xihu_commitment"].pk).exists()
    assert not may_verify(tax, city["xihu_commitment"])
