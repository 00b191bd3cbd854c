# ruff: noqa: F811 - the fixtures imported from test_pay are named as parameters
"""The employer's roster over REST (issue #26, the enterprise-confirmed route): the rosters
waiting, one roster (name, masked identity number, insured since, status: nothing else
personal), and its confirmation through subsidies.roster.confirm_roster, with an
Idempotency-Key so that a retried confirmation confirms once. The officials covering the
policy's department read a roster, and never confirm it (404); another enterprise,
another department's officials and the employees themselves get a 404; bad input is a
4xx in the one JSON error shape, and nothing changes."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from enterprises.persons.services import link_login
from policies.models import DeliveryMode
from qinqing.audit.models import AuditEvent
from sandbox.treasury.models import TreasuryRecord
from subsidies.models import Claim, ClaimStatus
from tests.factories import OfficialFactory, UserFactory, department, member_of
from tests.partners_support import partner_api_client

from .test_pay import person_version, staff, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
LINE_FIELDS = {"claim", "person", "name", "id_masked", "insured_since", "status", "status_label"}


@pytest.fixture
def offered(staff):
    version = person_version(DeliveryMode.CONFIRM)
    return version, member_of(staff.first)


def _client(user) -> APIClient:
    client = APIClient(**EN)
    client.force_authenticate(user)
    return client


def _urls(version, enterprise) -> tuple[str, str]:
    base = f"/api/v1/rosters/{version.pk}/{enterprise.pk}/"
    return base, base + "confirm/"


def _statuses(version) -> dict[int, str]:
    return dict(Claim.objects.filter(version=version).values_list("person_id", "status"))


def test_the_member_lists_reads_and_confirms_the_roster(staff, offered, world):
    version, member = offered
    client = _client(member)
    listed = client.get("/api/v1/rosters/")
    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    summary = listed.json()["results"][0]
    assert summary == {
        "version": version.pk, "enterprise": staff.first.pk, "uscc": staff.first.uscc,
        "enterprise_name": staff.first.name, "policy": version.policy.code,
        "title": "Employee rent subsidy", "period": summary["period"], "waiting": 3,
    }  # fmt: skip
    detail_url, confirm_url = _urls(version, staff.first)
    detail = client.get(detail_url)
    assert detail.status_code == 200
    body = detail.json()
    assert body["waiting"] == 3 and body["uscc"] == staff.first.uscc
    assert [line["name"] for line in body["lines"]] == sorted(["陈小青", "林大山", "王五"])
    # Nothing personal beyond what confirming needs, and the number only masked.
    assert all(set(line) == LINE_FIELDS for line in body["lines"])
    chen = staff.people["陈小青"][0]
    line = next(line for line in body["lines"] if line["person"] == chen.pk)
    assert line["id_masked"] == chen.id_masked and line["insured_since"]
    for _name, (_person, secret) in staff.people.items():
        assert secret not in detail.content.decode() and secret[:17] not in detail.content.decode()
    assert "amount" not in detail.content.decode() and "account" not in detail.content.decode()

    lin = staff.people["林大山"][0]
    answer = client.post(confirm_url, {"removals": [{"person": lin.pk, "reason": "已离职 left"}]},
                         format="json")  # fmt: skip
    assert answer.status_code == 200, answer.content
    outcome = answer.json()
    paid = Claim.objects.filter(version=version, enterprise=staff.first, status=ClaimStatus.PAID)
    assert sorted(outcome["confirmed"]) == sorted(paid.values_list("pk", flat=True))
    assert {claim.person.name for claim in paid} == {"陈小青", "王五"}
    removed = Claim.objects.get(version=version, person=lin)
    assert outcome["removed"] == [removed.pk] and removed.status == ClaimStatus.WITHDRAWN
    assert removed.withdrawal_reason == "已离职 left"
    assert outcome["roster"]["waiting"] == 0
    assert client.get("/api/v1/rosters/").json()["count"] == 0
    # The other employer's person still waits for their own employer.
    assert Claim.objects.get(version=version, enterprise=staff.second).status == "offered"


def test_a_partner_system_of_the_employer_reads_with_claims_read_and_confirms_with_write(
    staff, offered, world
):
    version, _member = offered
    detail_url, confirm_url = _urls(version, staff.first)
    reader, _partner = partner_api_client(scopes=["claims:read"], enterprise=staff.first)
    assert reader.get(detail_url).status_code == 200
    refused = reader.post(confirm_url, {}, format="json")
    assert refused.status_code == 403 and "claims:write" in refused.json()["detail"]
    assert set(_statuses(version).values()) == {ClaimStatus.OFFERED}
    writer, _partner = partner_api_client(scopes=["claims:read", "claims:write"],
                                          enterprise=staff.first)  # fmt: skip
    assert writer.post(confirm_url, {}, format="json").status_code == 200
    assert TreasuryRecord.objects.count() == 3


def test_another_enterprise_another_departments_official_and_the_employee_get_a_404(
    staff, offered, world
):
    version, _member = offered
    detail_url, confirm_url = _urls(version, staff.first)
    chen = staff.people["陈小青"][0]
    employee = UserFactory(role=Role.PERSON, display_name="陈小青")
    link_login(person=chen, user=employee)
    outsiders = {
        "other employer": member_of(staff.second),
        "another department's official": OfficialFactory(
            department=department("market"), district=None
        ),
        "the employee": employee,
    }
    for who, user in outsiders.items():
        client = _client(user)
        for answer in (client.get(detail_url), client.post(confirm_url, {}, format="json")):
            assert answer.status_code == 404, who
            assert answer.json()["code"] == "not_found", who
            assert "陈小青" not in answer.content.decode(), who
        # The other employer lists its own roster only; the others list none.
        listed = client.get("/api/v1/rosters/").json()["results"]
        assert all(row["enterprise"] != staff.first.pk for row in listed), who
    assert [row["enterprise"] for row in _client(outsiders["other employer"])
            .get("/api/v1/rosters/").json()["results"]] == [staff.second.pk]  # fmt: skip
    assert set(_statuses(version).values()) == {ClaimStatus.OFFERED}
    assert not TreasuryRecord.objects.exists()
    # A partner system of another enterprise, or of another department: the same 404.
    for binding in ({"enterprise": staff.second}, {"department": "market"}):
        partner, _ = partner_api_client(scopes=["claims:read", "claims:write"], **binding)
        assert partner.get(detail_url).status_code == 404
        assert partner.post(confirm_url, {}, format="json").status_code == 404
    assert set(_statuses(version).values()) == {ClaimStatus.OFFERED}


def test_the_policys_official_reads_the_roster_and_may_not_confirm_it(staff, offered, world):
    version, _member = offered
    detail_url, confirm_url = _urls(version, staff.first)
    official = OfficialFactory(department=department("hrss"), district=None)
    partner, _ = partner_api_client(scopes=["claims:read", "claims:write"], department="hrss")
    for who, client in (("official", _client(official)), ("department's partner", partner)):
        detail = client.get(detail_url)
        assert detail.status_code == 200, who
        body = detail.json()
        assert body["waiting"] == 3, who
        assert [line["name"] for line in body["lines"]] == sorted(["陈小青", "林大山", "王五"])
        assert all(set(line) == LINE_FIELDS for line in body["lines"]), who
        lin = staff.people["林大山"][0]
        for attempt in ({}, {"removals": [{"person": lin.pk, "reason": "left"}]}):
            refused = client.post(confirm_url, attempt, format="json")
            assert refused.status_code == 404 and refused.json()["code"] == "not_found", who
        # Confirming is the employer's: the official has no rosters to confirm.
        assert client.get("/api/v1/rosters/").json()["count"] == 0, who
    assert set(_statuses(version).values()) == {ClaimStatus.OFFERED}
    assert not TreasuryRecord.objects.exists()


def test_a_retried_confirmation_confirms_once(staff, offered, world):
    version, member = offered
    _detail, confirm_url = _urls(version, staff.first)
    client = _client(member)
    wang = staff.people["王五"][0]
    body = {"removals": [{"person": wang.pk, "reason": "调岗 moved"}]}
    first = client.post(confirm_url, body, format="json", HTTP_IDEMPOTENCY_KEY="roster-1")
    again = client.post(confirm_url, body, format="json", HTTP_IDEMPOTENCY_KEY="roster-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert TreasuryRecord.objects.count() == 2
    assert AuditEvent.objects.filter(action="claim.roster_confirmed").count() == 1
    # The same key with another body: refused, not a second confirmation.
    other = client.post(confirm_url, {}, format="json", HTTP_IDEMPOTENCY_KEY="roster-1")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_mismatch"
    # Without a key, a roster with nobody left to confirm says so (409), doing nothing.
    late = client.post(confirm_url, {}, format="json")
    assert late.status_code == 409 and late.json()["code"] == "nothing_to_confirm"
    assert TreasuryRecord.objects.count() == 2
    assert AuditEvent.objects.filter(action="claim.roster_confirmed").count() == 1


@pytest.mark.parametrize(
    "removals, field",
    [
        pytest.param(lambda s: [{"person": s.people["陈小青"][0].pk}], "removals", id="no reason"),
        pytest.param(lambda s: [{"person": s.people["陈小青"][0].pk, "reason": "  "}], "removals",
                     id="blank reason"),
        pytest.param(lambda s: [{"person": s.people["陈小青"][0].pk, "reason": "left\x00"}],
                     "removals", id="NUL byte in the reason"),
        pytest.param(lambda s: [{"person": "abc", "reason": "left"}], "removals",
                     id="not an id"),
        pytest.param(lambda s: [{"person": s.people["陈小青"][0].pk, "reason": "x" * 501}],
                     "removals", id="reason too long"),
        pytest.param(lambda s: [{"person": s.people["陈小青"][0].pk, "reason": "left"},
                                {"person": s.people["陈小青"][0].pk, "reason": "left"}],
                     "removals", id="the same person twice"),
        pytest.param(lambda s: [{"person": s.people["陈小青"][0].pk, "reason": "left"},
                                {"person": s.people["王五"][0].pk, "reason": "on leave"}],
                     "removals", id="two reasons in one confirmation"),
        pytest.param(lambda s: {"person": 1}, "removals", id="not a list"),
        pytest.param(lambda s: [{"person": s.people["钱七"][0].pk, "reason": "left"}], None,
                     id="another employer's person"),
        pytest.param(lambda s: [{"person": s.people["赵六"][0].pk, "reason": "left"}], None,
                     id="a person the data does not propose"),
        pytest.param(lambda s: [{"person": 999_999_999, "reason": "left"}], None,
                     id="unknown person id"),
    ],
)  # fmt: skip
def test_bad_input_is_a_4xx_in_the_error_shape_and_changes_nothing(
    staff, offered, world, removals, field
):
    version, member = offered
    _detail, confirm_url = _urls(version, staff.first)
    answer = _client(member).post(confirm_url, {"removals": removals(staff)}, format="json")
    assert answer.status_code == 400, answer.content
    error = answer.json()
    assert error["code"] and error["detail"]
    if field is not None:
        assert any(name.startswith(field) for name in error["fields"]), error
    else:
        assert error["code"] == "claim_refused"
    assert set(_statuses(version).values()) == {ClaimStatus.OFFERED}
    assert not TreasuryRecord.objects.exists()


def test_a_nul_byte_in_the_address_or_body_is_refused_before_anything(staff, offered):
    version, member = offered
    client = _client(member)
    assert client.get(f"/api/v1/rosters/{version.pk}/%00/").status_code in (400, 404)
    raw = client.post(_urls(version, staff.first)[1], data=b'{"removals": "\x00"}',
                      content_type="application/json")  # fmt: skip
    assert raw.status_code == 400 and raw.json()["code"]
    assert set(_statuses(version).values()) == {ClaimStatus.OFFERED}


def test_unknown_versions_and_enterprises_are_404_and_a_paid_roster_has_nothing_to_confirm(
    staff, offered, world
):
    version, member = offered
    client = _client(member)
    assert client.get(f"/api/v1/rosters/999999/{staff.first.pk}/").status_code == 404
    assert client.get(f"/api/v1/rosters/{version.pk}/999999/").status_code == 404
    automatic = person_version(DeliveryMode.AUTOMATIC, code="rent-automatic")
    paid = TreasuryRecord.objects.count()
    detail_url, confirm_url = _urls(automatic, staff.first)
    assert {line["status"] for line in client.get(detail_url).json()["lines"]} == {"paid"}
    refused = client.post(confirm_url, {}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "nothing_to_confirm"
    assert TreasuryRecord.objects.count() == paid
