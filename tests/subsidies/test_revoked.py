"""Revoked and deregistered enterprises receive nothing: a claim, an approval or an offer's
confirmation is refused with a clear message, and nothing is written."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from enterprises.admin import EnterpriseAdminForm
from enterprises.models import Enterprise, EnterpriseStatus
from qinqing.audit.models import AuditEvent
from subsidies.claims import confirm_offer, submit_claim
from subsidies.errors import ClaimConflict, ClaimRefused
from subsidies.models import Claim, ClaimStatus, Disbursement
from tests.factories import AdminFactory, EnterpriseFactory, member_of

pytestmark = pytest.mark.django_db(transaction=True)


def revoke(enterprise: Enterprise, status: str = EnterpriseStatus.REVOKED) -> None:
    Enterprise.objects.filter(pk=enterprise.pk).update(status=status)
    enterprise.refresh_from_db()


@pytest.mark.parametrize("status", [EnterpriseStatus.REVOKED, EnterpriseStatus.DEREGISTERED])
def test_a_non_active_enterprise_cannot_claim(status, api_client, client, apply_policy):
    enterprise = EnterpriseFactory()
    claimant = member_of(enterprise)
    revoke(enterprise, status)
    events = AuditEvent.objects.count()
    with translation.override("en"), pytest.raises(ClaimRefused, match="register"):
        submit_claim(enterprise=enterprise, policy=apply_policy, actor=claimant)
    api_client.force_authenticate(claimant)
    body = {"policy": apply_policy.code, "uscc": enterprise.uscc}
    response = api_client.post("/api/v1/claims/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "register" in str(response.json())
    client.force_login(claimant)
    url = reverse("subsidies:make_claim", args=[apply_policy.code])
    page = client.post(url, {"uscc": enterprise.uscc}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "cannot receive subsidies" in page.content.decode()
    assert not Claim.objects.exists()
    assert AuditEvent.objects.count() == events


def test_approval_is_refused_once_the_enterprise_is_revoked(api_client, claim_in_review,
                                                            hrss_official):  # fmt: skip
    claim, _member = claim_in_review()
    revoke(claim.enterprise)
    api_client.force_authenticate(hrss_official)
    response = api_client.post(reverse("v1:claim-approve", args=[claim.pk]),
                               HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 409 and "register" in response.json()["detail"]
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW and claim.reviewed_by is None
    assert not Disbursement.objects.exists()


def test_an_offer_cannot_be_confirmed_once_the_enterprise_is_revoked(apply_policy):
    enterprise = EnterpriseFactory()
    claimant = member_of(enterprise)
    claim = Claim.objects.create(enterprise=enterprise, policy=apply_policy, period="2026",
                                 version=apply_policy.versions.get(), origin="batch",
                                 status=ClaimStatus.OFFERED, amount=Decimal("5000.00"))  # fmt: skip
    revoke(enterprise)
    with pytest.raises(ClaimConflict):
        confirm_offer(claim.pk, actor=claimant)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.OFFERED
    assert not Disbursement.objects.exists()


def test_the_status_is_changed_in_the_back_office_audited_and_stamped(reference_data):
    enterprise = EnterpriseFactory()
    assert enterprise.status == EnterpriseStatus.ACTIVE and enterprise.status_changed_at is None
    data = {**model_to_dict(enterprise), "status": EnterpriseStatus.REVOKED}
    form = EnterpriseAdminForm(data=data, instance=enterprise)
    assert form.is_valid(), form.errors
    request = RequestFactory().post("/admin/")
    request.user = AdminFactory()
    admin.site._registry[Enterprise].save_model(request, form.save(commit=False), form, True)
    enterprise.refresh_from_db()
    assert enterprise.status == EnterpriseStatus.REVOKED
    assert enterprise.status_changed_at is not None
    event = AuditEvent.objects.filter(action="enterprise.revoked").latest("id")
    assert event.before["status"] == "active" and event.after["status"] == "revoked"


def test_the_enterprise_page_shows_the_status(client, reference_data):
    enterprise = EnterpriseFactory()
    member = member_of(enterprise)
    revoke(enterprise, EnterpriseStatus.DEREGISTERED)
    client.force_login(member)
    page = client.get(reverse("enterprises:detail", args=[enterprise.uscc]),
                      HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert "Deregistered" in page.content.decode()
