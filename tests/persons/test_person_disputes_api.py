"""A private person disputes a fact about themself over the disputes API (issue #26):
raises it (from "my data" or from their own claim), lists, reads and withdraws it, signed
in as themself, through disputes.services. Nobody else's dispute is theirs to see, and
the employer never sees its employees' disputes; an identity number typed into the
statement stays masked in every answer. Bad input is a 4xx in the one JSON error shape."""

import pytest
from rest_framework.test import APIClient

from disputes.models import Dispute, DisputeStatus
from disputes.services import raise_dispute
from qinqing.resident_ids import mask_resident_id
from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of
from tests.partners_support import partner_api_client

from .conftest import NUMBER, OTHER_NUMBER, person_login
from .rent import person_claim, rent_policy

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HOME = "person.housing.owns_home"
URL = "/api/v1/disputes/"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.DISPUTES_ATTACHMENT_ROOT = tmp_path / "disputes"


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
def claim(person, employer):
    return person_claim(person, rent_policy(), employer)


def _client(user) -> APIClient:
    client = APIClient(**EN)
    client.force_login(user)  # a session, as the person's browser has
    return client


def _raise(client, **body):
    data = {"fact": HOME, "claimed_value": "否", "statement": "我在本市没有住房，登记有误。",
            **body}  # fmt: skip
    return client.post(URL, data, format="json")


def _no_number(response) -> None:
    text = response.content.decode()
    for secret in (NUMBER, OTHER_NUMBER):
        assert secret not in text and secret[:17] not in text and secret.lower() not in text


def test_a_person_raises_lists_reads_and_withdraws_their_own_dispute(person):
    client = _client(person.user)
    raised = _raise(client, statement=f"我的身份证号是{NUMBER}，我在本市没有住房。")
    assert raised.status_code == 201, raised.content
    body = raised.json()
    assert body["subject"] == "person" and body["enterprise"] is None
    assert body["department"] == "housing" and body["status"] == DisputeStatus.RAISED
    assert body["fact"] == HOME and body["origin"] == "data_log"
    assert body["claimed_value"] is False and body["remaining_seconds"] > 0
    dispute = Dispute.objects.get()
    assert dispute.person == person and dispute.raised_by == person.user
    _no_number(raised)
    assert NUMBER[:6] in body["statement"]  # masked, not dropped

    listed = client.get(URL)
    assert [row["reference"] for row in listed.json()["results"]] == [dispute.reference]
    _no_number(listed)
    detail = client.get(f"{URL}{dispute.pk}/")
    assert detail.status_code == 200 and detail.json()["reference"] == dispute.reference
    _no_number(detail)

    withdrawn = client.post(f"{URL}{dispute.pk}/withdraw/", format="json")
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == DisputeStatus.WITHDRAWN
    assert withdrawn.json()["timeline"][-1]["what"] == "Withdrawn by the person"
    _no_number(withdrawn)
    again = client.post(f"{URL}{dispute.pk}/withdraw/", format="json")
    assert again.status_code == 409 and again.json()["code"]


def test_a_person_disputes_a_fact_their_own_claim_was_decided_on(person, other_person, claim):
    raised = _raise(_client(person.user), claim=claim.pk, claimed_value="是")
    assert raised.status_code == 201, raised.content
    body = raised.json()
    assert body["origin"] == "claim" and body["claim_id"] == claim.pk
    assert body["policy"] == "rent" and body["held_value"] is False
    # Another person cannot dispute from it: their claims only.
    other = _client(other_person.user)
    refused = _raise(other, claim=claim.pk, fact="person.housing.provident_fund")
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert Dispute.objects.count() == 1


def test_nobody_else_sees_or_withdraws_a_persons_dispute(person, other_person, claim, employer):
    dispute_id = _raise(_client(person.user), claim=claim.pk).json()["id"]
    member = member_of(employer)
    company = raise_dispute(actor=member, enterprise=employer, fact="hrss.insured_employees",
                            claimed_value="12", statement="十月参保人数应为12人。")  # fmt: skip
    partner, _ = partner_api_client(scopes=["disputes:read", "disputes:write"], enterprise=employer)
    outsiders = {"another person": _client(other_person.user), "the employer": _client(member),
                 "the employer's partner system": partner}  # fmt: skip
    for who, client in outsiders.items():
        listed = client.get(URL).json()["results"]
        assert dispute_id not in [row["id"] for row in listed], who
        assert client.get(f"{URL}{dispute_id}/").status_code == 404, who
        refused = client.post(f"{URL}{dispute_id}/withdraw/", format="json")
        assert refused.status_code == 404 and refused.json()["code"] == "not_found", who
    assert Dispute.objects.get(pk=dispute_id).status == DisputeStatus.RAISED
    # The employer sees its own dispute; the person never sees the employer's.
    assert [row["id"] for row in _client(member).get(URL).json()["results"]] == [company.pk]
    mine = _client(person.user)
    assert [row["id"] for row in mine.get(URL).json()["results"]] == [dispute_id]
    assert mine.get(f"{URL}{company.pk}/").status_code == 404
    withdraw = mine.post(f"{URL}{company.pk}/withdraw/", format="json")
    assert withdraw.status_code == 404
    assert Dispute.objects.get(pk=company.pk).status == DisputeStatus.RAISED
    # The department that holds the fact sees it, the person masked.
    housing = _client(OfficialFactory(department=department("housing"), district=None))
    seen = housing.get(f"{URL}{dispute_id}/")
    assert seen.status_code == 200
    _no_number(seen)
    assert mask_resident_id(NUMBER) not in seen.content.decode()  # no number at all


def test_a_retried_raise_with_the_same_key_raises_once(person):
    client = _client(person.user)
    body = {"fact": HOME, "claimed_value": "否", "statement": "名下无房。"}
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="mine-1")
    again = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="mine-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert Dispute.objects.count() == 1
    # Without the key, a second open dispute on the same fact is a conflict.
    second = client.post(URL, body, format="json")
    assert second.status_code == 409 and second.json()["code"] == "dispute_open"


@pytest.mark.parametrize(
    "body, field",
    [
        pytest.param({"statement": "名下\x00无房"}, "statement", id="NUL byte in the statement"),
        pytest.param({"claimed_value": "否\x00"}, "claimed_value", id="NUL byte in the value"),
        pytest.param({"statement": "  "}, "statement", id="empty statement"),
        pytest.param({"claimed_value": "maybe"}, "claimed_value", id="not a yes or no"),
        pytest.param({"fact": "person.nothing"}, "fact", id="unknown fact"),
        pytest.param({"fact": "market.registration_status", "claimed_value": "active"}, "fact",
                     id="an enterprise's fact"),
        pytest.param({"fact": "person.bank.account", "claimed_value": "6222000011112222333"},
                     "fact", id="the bank account: changed at the bank"),
        pytest.param({"enterprise": "91330106MA2B0000XX"}, "enterprise",
                     id="a person naming an enterprise"),
        pytest.param({"department": "taxation"}, "department", id="not the fact's department"),
        pytest.param({"claim": "abc"}, "claim", id="a claim that is not a number"),
    ],
)  # fmt: skip
def test_bad_input_is_a_4xx_naming_the_field_and_raises_nothing(person, body, field):
    answer = _raise(_client(person.user), **body)
    assert 400 <= answer.status_code < 500, answer.content
    error = answer.json()
    assert error["code"] and error["detail"]
    assert field in error.get("fields", {}), error
    assert not Dispute.objects.exists()


def test_an_unknown_claim_is_a_404_and_a_nul_in_the_body_or_address_a_400(person):
    client = _client(person.user)
    missing = _raise(client, claim=999_999)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    raw = client.post(URL, data=b'{"fact": "person.housing.owns_home\\u0000"}',
                      content_type="application/json")  # fmt: skip
    assert raw.status_code == 400 and raw.json()["code"]
    assert client.get(f"{URL}%00/").status_code in (400, 404)
    assert not Dispute.objects.exists()
