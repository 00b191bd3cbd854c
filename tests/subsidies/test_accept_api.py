"""API parity: an offer a batch run found (confirm mode) is accepted through the API as on
the page, by a member or the enterprise's partner system, with an Idempotency-Key."""

from decimal import Decimal

import pytest

from sandbox.treasury.models import TreasuryRecord
from subsidies.models import Claim, ClaimStatus
from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of
from tests.partners_support import partner_api_client

pytestmark = pytest.mark.django_db(transaction=True)


def offer_for(policy, enterprise=None) -> Claim:
    enterprise = enterprise or EnterpriseFactory()
    return Claim.objects.create(enterprise=enterprise, policy=policy, period="2026",
                                version=policy.versions.get(), origin="batch",
                                status=ClaimStatus.OFFERED, amount=Decimal("5000.00"))  # fmt: skip


def test_a_member_accepts_an_offer_through_the_api_once(api_client, apply_policy):
    offer = offer_for(apply_policy)
    member = member_of(offer.enterprise)
    url = f"/api/v1/claims/{offer.pk}/accept/"
    api_client.force_authenticate(OfficialFactory(department=department("hrss")))
    assert api_client.post(url, format="json").status_code == 403
    api_client.force_authenticate(member_of(EnterpriseFactory()))
    assert api_client.post(url, format="json").status_code == 404
    offer.refresh_from_db()
    assert offer.status == ClaimStatus.OFFERED

    api_client.force_authenticate(member)
    first = api_client.post(url, format="json", HTTP_IDEMPOTENCY_KEY="accept-1")
    assert first.status_code == 200, first.content
    assert first.json()["status"] == ClaimStatus.PAID
    again = api_client.post(url, format="json", HTTP_IDEMPOTENCY_KEY="accept-1")
    assert again.status_code == 200 and again.json() == first.json()
    assert TreasuryRecord.objects.count() == 1


def test_the_enterprises_partner_system_accepts_its_offer(apply_policy):
    offer = offer_for(apply_policy)
    client, _partner = partner_api_client(scopes=["claims:read", "claims:write"],
                                          enterprise=offer.enterprise)  # fmt: skip
    accepted = client.post(f"/api/v1/claims/{offer.pk}/accept/", format="json")
    assert accepted.status_code == 200, accepted.content
    offer.refresh_from_db()
    assert offer.status == ClaimStatus.PAID
    read_only, _partner = partner_api_client(scopes=["claims:read"], enterprise=offer.enterprise)
    assert read_only.post(f"/api/v1/claims/{offer.pk}/accept/").status_code == 403
