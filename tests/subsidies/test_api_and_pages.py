"""Claims over the API (Idempotency-Key) and on the pages, scoped to who may see them."""

import pytest
from django.urls import reverse

from sandbox.treasury.models import TreasuryRecord
from subsidies.models import Claim, ClaimStatus
from tests.factories import (
    AuditorFactory,
    EnterpriseFactory,
    OfficialFactory,
    department,
    member_of,
)

from .test_claims import officials_pair, policy  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def claim_via_api(api_client, user, enterprise, key=None, policy_code="jobs"):
    api_client.force_authenticate(user)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return api_client.post("/api/v1/claims/", {"policy": policy_code, "uscc": enterprise.uscc},
                           format="json", **headers)  # fmt: skip


def test_idempotency_key_replays_the_first_answer(api_client, policy):  # noqa: F811
    enterprise = EnterpriseFactory()
    claimant = member_of(enterprise)
    first = claim_via_api(api_client, claimant, enterprise, key="req-1")
    assert first.status_code == 201 and first.json()["status"] == ClaimStatus.PAID
    again = claim_via_api(api_client, claimant, enterprise, key="req-1")
    assert again.status_code == 201 and again.json() == first.json()
    other_body = claim_via_api(api_client, claimant, EnterpriseFactory(), key="req-1")
    assert other_body.status_code == 422
    assert Claim.objects.count() == 1 and TreasuryRecord.objects.count() == 1


def test_without_a_key_a_repeat_returns_the_existing_claim(api_client, policy):  # noqa: F811
    enterprise = EnterpriseFactory()
    claimant = member_of(enterprise)
    assert claim_via_api(api_client, claimant, enterprise).status_code == 201
    repeat = claim_via_api(api_client, claimant, enterprise)
    assert repeat.status_code == 200 and Claim.objects.count() == 1


def test_claims_for_others_or_closed_policies_are_refused(api_client, policy):  # noqa: F811
    enterprise, other = EnterpriseFactory(), EnterpriseFactory()
    claimant = member_of(enterprise)
    assert claim_via_api(api_client, claimant, other).status_code == 404
    assert claim_via_api(api_client, claimant, enterprise, policy_code="nope").status_code == 404
    assert api_client.post("/api/v1/claims/", {"policy": "jobs"}, format="json").status_code == 400
    assert not Claim.objects.exists()


def test_claims_and_payments_are_scoped(api_client, client, policy):  # noqa: F811
    mine, theirs = EnterpriseFactory(), EnterpriseFactory()
    me, them = member_of(mine), member_of(theirs)
    claim_via_api(api_client, me, mine)
    claim_via_api(api_client, them, theirs)
    api_client.force_authenticate(me)
    listed = api_client.get("/api/v1/claims/").json()["results"]
    assert [row["uscc"] for row in listed] == [mine.uscc]
    other_claim = Claim.objects.get(enterprise=theirs)
    assert api_client.get(f"/api/v1/claims/{other_claim.pk}/").status_code == 404
    assert api_client.get("/api/v1/disbursements/").json()["results"] == []
    client.force_login(me)
    assert client.get(reverse("subsidies:claim", args=[other_claim.pk])).status_code == 404
    hrss = OfficialFactory(department=department("hrss"), district=None)
    api_client.force_authenticate(hrss)
    assert len(api_client.get("/api/v1/claims/").json()["results"]) == 2
    assert len(api_client.get("/api/v1/disbursements/").json()["results"]) == 2
    tax = OfficialFactory(department=department("taxation"), district=None)
    api_client.force_authenticate(tax)
    assert api_client.get("/api/v1/claims/").json()["results"] == []
    api_client.force_authenticate(AuditorFactory())
    assert len(api_client.get("/api/v1/claims/").json()["results"]) == 2


def test_the_claim_page_shows_the_payment_and_stops_polling_when_settled(client, policy):  # noqa: F811
    enterprise = EnterpriseFactory()
    claimant = member_of(enterprise)
    client.force_login(claimant)
    response = client.post(reverse("subsidies:make_claim", args=["jobs"]),
                           {"uscc": enterprise.uscc})  # fmt: skip
    claim = Claim.objects.get()
    assert response["Location"] == reverse("subsidies:claim", args=[claim.pk])
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert claim.disbursement.reference in html
    assert "hx-trigger" not in html  # paid: nothing left to wait for
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"claim-status" in partial.content


def test_officials_filter_and_export_their_departments_claims(api_client, client, policy):  # noqa: F811
    from tests.factories import district

    in_xihu = EnterpriseFactory(district=district("xihu"))
    in_binjiang = EnterpriseFactory(district=district("binjiang"))
    for enterprise in (in_xihu, in_binjiang):
        claim_via_api(api_client, member_of(enterprise), enterprise)
    official = OfficialFactory(department=department("hrss"), district=None)
    client.force_login(official)
    page = client.get(reverse("subsidies:claims"), {"district": "xihu", "status": "paid"})
    assert [c.enterprise.uscc for c in page.context["page"].object_list] == [in_xihu.uscc]
    export = client.get(reverse("subsidies:claims"), {"policy": "jobs", "export": "csv"})
    lines = export.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("id,policy")
    member = member_of(in_xihu)
    client.force_login(member)
    mine = client.get(reverse("subsidies:claims"), {"export": "csv"})
    assert b"id,policy" not in mine.content  # members get the page, not the export
