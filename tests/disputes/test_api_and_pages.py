"""The disputes over the API and on the pages: raising with the fact filled in and a
confirmation, the timeline, the official's queue and decision with its confirmation,
scoping (another enterprise's or another department's dispute is a 404), refusals in the
reader's language, hostile input."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from datahub.models import FactCorrection
from disputes.models import Dispute, DisputeStatus
from disputes.selectors import disputes_queue
from disputes.services import correct
from workspace.selectors import official_queue

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def api(user) -> APIClient:
    client = APIClient(**EN)
    client.force_authenticate(user)
    return client


def page(user) -> Client:
    client = Client(**EN)
    client.force_login(user)
    return client


def body(enterprise, **more):
    return {"enterprise": enterprise.uscc, "fact": "hrss.insured_employees",
            "claimed_value": "12", "statement": "十月参保人数应为12人。", **more}  # fmt: skip


def test_raise_read_and_decide_over_the_api(member, enterprise, hrss_official):
    created = api(member).post("/api/v1/disputes/", body(enterprise), format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["department"] == "hrss" and data["status"] == "raised"
    assert data["remaining_seconds"] > 0 and data["timeline"][0]["what"].startswith("Raised")
    listed = api(hrss_official).get("/api/v1/disputes/").json()
    assert [row["reference"] for row in listed["results"]] == [data["reference"]]
    decided = api(hrss_official).post(
        f"/api/v1/disputes/{data['id']}/decide/",
        {"outcome": "correct", "value": "12", "reason": "补录。"}, format="json",
    )  # fmt: skip
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "corrected" and decided.json()["corrected_value"] == 12
    mine = api(member).get(f"/api/v1/disputes/{data['id']}/").json()
    assert [step["what"] for step in mine["timeline"]][-1].startswith("The department corrected")


def test_faults_answer_4xx_in_the_readers_language(member, enterprise, other_member):
    client = api(member)
    unknown = client.post("/api/v1/disputes/", body(enterprise, fact="hrss.shoe_size"),
                          format="json")  # fmt: skip
    assert unknown.status_code == 400 and "fact" in unknown.json()["fields"]
    not_owner = client.post("/api/v1/disputes/", body(enterprise, department="taxation"),
                            format="json")  # fmt: skip
    assert not_owner.status_code == 400 and "does not hold" in not_owner.json()["detail"]
    typed = client.post("/api/v1/disputes/", body(enterprise, claimed_value="twelve"),
                        format="json")  # fmt: skip
    assert typed.status_code == 400 and "whole number" in typed.json()["detail"]
    other = api(other_member).post("/api/v1/disputes/", body(enterprise), format="json")
    assert other.status_code == 404 and "None of your enterprises" in other.json()["detail"]
    chinese = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese.force_authenticate(member)
    assert chinese.post("/api/v1/disputes/", body(enterprise, fact="x.y"),
                        format="json").status_code == 400  # fmt: skip
    assert not Dispute.objects.exists()


@pytest.mark.parametrize(
    "hostile",
    [{"statement": "\x00"}, {"claimed_value": "1" * 5000}, {"fact": ["a"]},
     {"claimed_value": "1e999999"}, {"claim": -1}, {"department": "\x00"}],
)  # fmt: skip
def test_hostile_input_is_a_4xx_and_nothing_is_written(member, enterprise, hostile):
    response = api(member).post("/api/v1/disputes/", body(enterprise, **hostile), format="json")
    assert 400 <= response.status_code < 500, response.content
    assert not Dispute.objects.exists()


def test_another_enterprise_and_another_department_get_404(raise_one, other_member, tax_official):
    dispute = raise_one()
    for outsider in (other_member, tax_official):
        assert api(outsider).get(f"/api/v1/disputes/{dispute.pk}/").status_code == 404
        assert page(outsider).get(f"/disputes/{dispute.pk}/").status_code == 404
    confirming = {"outcome": "confirm", "reason": "无误"}
    decided = api(tax_official).post(
        f"/api/v1/disputes/{dispute.pk}/decide/", confirming, format="json"
    )
    assert decided.status_code == 404
    assert page(tax_official).post(f"/disputes/queue/{dispute.pk}/decide/",
                                   {"outcome": "confirm", "reason": "无误",
                                    "confirm": "1"}).status_code == 404  # fmt: skip
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RAISED


def test_raising_on_the_page_goes_through_a_confirmation(member, enterprise):
    client = page(member)
    form = client.get("/disputes/new/?fact=hrss.insured_employees&from=calculator")
    assert form.status_code == 200
    assert 'value="hrss.insured_employees" selected' in form.content.decode()
    fields = {"enterprise": enterprise.uscc, "fact": "hrss.insured_employees",
              "claimed_value": "12", "statement": "应为12人。", "origin": "calculator"}  # fmt: skip
    checked = client.post("/disputes/new/", {**fields, "check": "1"})
    assert checked.status_code == 200 and "Please confirm" in checked.content.decode()
    assert not Dispute.objects.exists()
    sent = client.post("/disputes/new/", {**fields, "send": "1"})
    dispute = Dispute.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/disputes/{dispute.pk}/"
    detail = client.get(sent["Location"]).content.decode()
    assert dispute.reference in detail and "Withdraw the dispute" in detail
    assert "Raised and sent to" in detail
    wrong = client.post("/disputes/new/", {**fields, "fact": "market.established_on",
                                           "claimed_value": "yesterday", "check": "1"})  # fmt: skip
    assert wrong.status_code == 200 and "Give a date" in wrong.content.decode()


def test_the_officials_queue_and_the_decision_with_confirmation(raise_one, hrss_official):
    dispute = raise_one()
    client = page(hrss_official)
    queue = client.get("/disputes/queue/").content.decode()
    assert dispute.reference in queue and "working hours" in queue
    reading = disputes_queue(hrss_official, dispute.started_at)
    assert reading.count == 1 and reading.items[0].url == f"/disputes/queue/{dispute.pk}/"
    assert any(q.kind == "disputes" and q.count == 1 for q in official_queue(hrss_official))
    ask = client.post(f"/disputes/queue/{dispute.pk}/decide/",
                      {"outcome": "correct", "value": "12", "reason": "补录。"})  # fmt: skip
    assert ask.status_code == 200 and "Confirm the decision" in ask.content.decode()
    assert not FactCorrection.objects.exists()
    confirmed = {"outcome": "correct", "value": "12", "reason": "补录。", "confirm": "1"}
    done = client.post(f"/disputes/queue/{dispute.pk}/decide/", confirmed)
    assert done.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.CORRECTED and FactCorrection.objects.count() == 1
    assert disputes_queue(hrss_official, dispute.started_at).count == 0


def test_the_member_withdraws_on_the_page(raise_one, member):
    dispute = raise_one()
    response = page(member).post(f"/disputes/{dispute.pk}/withdraw/")
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.WITHDRAWN


def test_the_data_access_log_shows_the_correction_with_its_provenance(
    raise_one, member, enterprise, hrss_official
):
    dispute = raise_one()
    correct(dispute.pk, actor=hrss_official, value="12", reason="补录。")
    shown = page(member).get(f"/enterprises/{enterprise.uscc}/data-access/").content.decode()
    assert f"corrected by dispute no. {dispute.reference}" in shown and "王科长" in shown
    assert "/disputes/new/?from=data_log" in shown
