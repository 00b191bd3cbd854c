"""A person disputes a fact about themself (issue #26): the same disputes, the same clock
and deadlines; the department's city-wide officials answer; the employer sees nothing; the
identity number is never shown."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from datahub.models import DataCall, FactCorrection
from disputes.models import Dispute, DisputeStatus
from disputes.services import (
    PERSON_HELD_PURPOSE,
    confirm,
    correct,
    raise_dispute,
    watch_deadlines,
    withdraw,
)
from qinqing import errors
from qinqing.events.models import OutboxEvent
from qinqing.notifications.models import Notification
from qinqing.scoping import visible_to
from qinqing.workhours.clock import add_working_time
from tests.factories import EnterpriseFactory, OfficialFactory, department, district, member_of
from tests.persons.conftest import NUMBER, OTHER_NUMBER, person_login
from tests.persons.rent import person_claim, rent_policy

from .conftest import TUESDAY_9AM

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HOME = "person.housing.owns_home"


@pytest.fixture
def employer(db):
    EnterpriseFactory.create_batch(3)
    return EnterpriseFactory(name="杭州租房测试有限公司")


@pytest.fixture
def person(employer):
    return person_login(NUMBER, "陈小青")[0]


@pytest.fixture
def other_person(employer):
    return person_login(OTHER_NUMBER, "林大山")[0]


@pytest.fixture
def housing_official(db):
    return OfficialFactory(department=department("housing"), district=None, display_name="周科长")


@pytest.fixture
def claim(person, employer):
    return person_claim(person, rent_policy(), employer)


def _raise(person, *, claim=None, fact=HOME, value="否", **more):
    from policies.selectors import describe_claim

    described = describe_claim(person.user, claim.pk) if claim is not None else None
    statement = more.pop("statement", "我在本市没有住房，房产登记有误。")
    return raise_dispute(actor=more.pop("actor", person.user), person=person, fact=fact,
                         claimed_value=value, statement=statement,
                         claim=described, origin="claim" if claim else "data_log",
                         **more)  # fmt: skip


def test_a_person_disputes_a_fact_from_their_claim_on_the_same_clock(
    person, claim, housing_official
):
    dispute = _raise(person, claim=claim, value="是")
    assert dispute.person == person and dispute.enterprise is None and dispute.district is None
    assert dispute.department.code == "housing" and dispute.status == DisputeStatus.RAISED
    assert dispute.held_value is False and dispute.claimed_value is True
    assert dispute.claim_id == claim.pk and dispute.deadline is not None
    assert dispute.limit_hours == 40  # the same five working days as an enterprise's
    assert Notification.objects.filter(recipient=housing_official,
                                       kind="disputes.dispute").exists()  # fmt: skip
    assert Notification.objects.filter(recipient=person.user, kind="disputes.dispute").exists()


def test_from_my_data_the_held_value_is_read_with_a_purpose_the_person_reads(person):
    dispute = _raise(person)
    call = DataCall.objects.filter(person=person, purpose=PERSON_HELD_PURPOSE).get()
    assert call.fact_names == [HOME] and call.requested_by == person.user
    assert dispute.held_value in (True, False, None)


def test_who_sees_a_persons_dispute(person, other_person, claim, employer, housing_official):
    dispute = _raise(person, claim=claim)
    assert list(visible_to(person.user, Dispute)) == [dispute]
    assert not visible_to(other_person.user, Dispute).exists()
    assert not visible_to(member_of(employer), Dispute).exists()
    assert list(visible_to(housing_official, Dispute)) == [dispute]
    district_official = OfficialFactory(department=department("housing"),
                                        district=district("xihu"))  # fmt: skip
    assert not visible_to(district_official, Dispute).exists()
    assert not visible_to(OfficialFactory(department=department("hrss")), Dispute).exists()


def test_refusals(person, other_person, claim, employer):
    with pytest.raises(errors.NotAllowed):
        _raise(person, actor=other_person.user)
    with pytest.raises(errors.NotAllowed):
        _raise(person, actor=member_of(employer))
    with pytest.raises(errors.Invalid):  # an enterprise's fact is not the person's to dispute
        _raise(person, fact="market.registration_status", value="active")
    with pytest.raises(errors.Invalid) as bank:  # changed at the bank, not by a dispute
        _raise(person, fact="person.bank.account", value="6222000011112222333")
    assert "bank" in str(bank.value.message if hasattr(bank.value, "message") else bank.value)
    with pytest.raises(errors.Invalid):
        _raise(person, value="maybe")
    with pytest.raises(errors.Invalid):
        raise_dispute(actor=person.user, person=person, enterprise=employer, fact=HOME,
                      claimed_value="否", statement="x")  # fmt: skip
    _raise(person)
    with pytest.raises(errors.Conflict):
        _raise(person)
    assert Dispute.objects.count() == 1


def test_the_department_confirms_or_corrects_and_the_person_is_told(person, housing_official):
    first = _raise(person, value="是")
    confirm(first.pk, actor=housing_official, reason="不动产登记核实无误。")
    first.refresh_from_db()
    assert first.status == DisputeStatus.CONFIRMED and first.deadline is None
    second = _raise(person, value="是")
    correct(second.pk, actor=housing_official, value="是", reason="补登记。")
    second.refresh_from_db()
    assert second.status == DisputeStatus.CORRECTED and second.corrected_value is True
    # The correction is the hub's answer about the person, naming no enterprise.
    correction = FactCorrection.objects.get()
    assert correction.person == person and correction.enterprise is None
    assert correction.dispute_reference == second.reference and correction.value is True
    # Partners hear nothing of a person's dispute.
    assert not OutboxEvent.objects.filter(event_type="dispute.decided").exists()
    told = Notification.objects.filter(recipient=person.user, kind="disputes.dispute")
    assert told.count() == 4  # sent twice, decided twice
    with pytest.raises(errors.NotAllowed):
        confirm(_raise(person, fact="person.housing.provident_fund", value="是").pk,
                actor=OfficialFactory(department=department("hrss")), reason="x")  # fmt: skip


def test_the_person_withdraws_nobody_else_does(person, other_person):
    dispute = _raise(person)
    with pytest.raises(errors.NotAllowed):
        withdraw(dispute.pk, actor=other_person.user)
    withdraw(dispute.pk, actor=person.user)
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.WITHDRAWN


def test_the_clock_warns_and_escalates_a_persons_dispute(person, housing_official):
    dispute = _raise(person)
    Dispute.objects.filter(pk=dispute.pk).update(started_at=TUESDAY_9AM)
    after = add_working_time(TUESDAY_9AM, dispute.limit_hours * 3600 + 60)
    assert watch_deadlines(after)["escalated"] == 1
    assert watch_deadlines(after + timedelta(days=1))["escalated"] == 0


def _client(user) -> Client:
    client = Client(**EN)
    client.force_login(user)
    return client


def test_the_pages_raise_follow_and_decide_a_persons_dispute(person, claim, housing_official):
    client = _client(person.user)
    url = reverse("disputes:new") + f"?from=claim&claim={claim.pk}&fact={HOME}"
    form = client.get(url).content.decode()
    assert "Fact about you that is wrong" in form
    assert 'name="enterprise"' not in form and "market.registration_status" not in form
    fields = {"fact": HOME, "claimed_value": "是", "statement": "我有住房。", "origin": "claim",
              "claim": claim.pk}  # fmt: skip
    checked = client.post(reverse("disputes:new"), fields).content.decode()
    assert "Please confirm" in checked
    sent = client.post(reverse("disputes:new"), {**fields, "send": "1"})
    dispute = Dispute.objects.get()
    assert sent.status_code == 302 and sent["Location"] == reverse("disputes:detail",
                                                                  args=[dispute.pk])  # fmt: skip
    detail = client.get(sent["Location"]).content.decode()
    assert "Value you give" in detail and reverse("person_claim", args=[claim.pk]) in detail
    assert "Withdraw the dispute" in detail
    mine = client.get(reverse("disputes:list")).content.decode()
    assert dispute.reference in mine
    official = _client(housing_official)
    queue = official.get(reverse("disputes:queue")).content.decode()
    assert person.id_masked in queue and NUMBER not in queue
    handle = official.get(reverse("disputes:handle", args=[dispute.pk])).content.decode()
    assert "Value the person gives" in handle and NUMBER not in handle
    confirm_page = official.post(
        reverse("disputes:decide", args=[dispute.pk]),
        {"outcome": "correct", "value": "是", "reason": "补登记。"},
    )
    assert "in your department's record of this person" in confirm_page.content.decode()
    official.post(
        reverse("disputes:decide", args=[dispute.pk]),
        {"outcome": "correct", "value": "是", "reason": "补登记。", "confirm": "1"},
    )
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.CORRECTED
    assert "The department corrected its record" in client.get(
        reverse("disputes:detail", args=[dispute.pk])).content.decode()  # fmt: skip


def test_another_persons_claim_cannot_prefill_a_dispute(person, other_person, claim):
    client = _client(other_person.user)
    url = reverse("disputes:new") + f"?from=claim&claim={claim.pk}&fact={HOME}"
    assert client.get(url).status_code == 404


def test_the_api_lists_a_persons_own_disputes_without_the_number(person, employer):
    dispute = _raise(person)
    client = APIClient(**EN)
    client.force_authenticate(person.user)
    answer = client.get("/api/v1/disputes/")
    assert answer.status_code == 200
    rows = answer.json()["results"]
    assert [row["reference"] for row in rows] == [dispute.reference]
    assert rows[0]["subject"] == "person" and rows[0]["enterprise"] is None
    assert NUMBER not in answer.content.decode()
    member = APIClient(**EN)
    member.force_authenticate(member_of(employer))
    assert member.get("/api/v1/disputes/").json()["count"] == 0


def test_an_identity_number_written_in_a_statement_or_reason_is_kept_masked(
    person, housing_official
):
    dispute = _raise(person, statement=f"我的身份证号{NUMBER}，名下无房。")
    assert NUMBER not in dispute.statement and NUMBER[:6] in dispute.statement
    confirm(dispute.pk, actor=housing_official, reason=f"已核对{NUMBER}名下房产。")
    dispute.refresh_from_db()
    assert NUMBER not in dispute.reason and NUMBER[-4:] in dispute.reason


def test_a_persons_corrected_fact_is_listed_on_their_data_page_and_nobody_elses(
    person, other_person, housing_official
):
    dispute = _raise(person, value="是")
    correct(dispute.pk, actor=housing_official, value="是", reason="补登记。")
    page = reverse("person_data_access")
    mine = Client()
    mine.force_login(person.user)
    text = mine.get(page, **EN).content.decode()
    assert "Facts corrected on your disputes" in text
    assert dispute.reference in text and "周科长" in text
    theirs = Client()
    theirs.force_login(other_person.user)
    text = theirs.get(page, **EN).content.decode()
    assert "Facts corrected on your disputes" not in text and dispute.reference not in text
    assert "Contest this fact" in text  # the way to dispute is always offered
