"""Enjoy without applying: publishing an automatic or confirm version finds and pays (or
offers) every qualifying enterprise, once, however often the run is repeated."""

from datetime import timedelta

import pytest

from departments.hub.snapshots import refresh_extract
from policies.models import DeliveryMode, Policy
from policies.services import approve, create_draft, generate_boundary_cases, submit_for_approval
from subsidies.batch import confirm_offer, start
from subsidies.models import BatchRun, Claim, ClaimStatus, LedgerEntry, TreasuryRecord
from subsidies.services import ClaimRefused
from tests.factories import EnterpriseFactory, department, member_of

from ..policies.conftest import TODAY
from ..policies.test_lifecycle import SIMPLE_CRITERIA, version_fields
from .test_claims import officials_pair  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)


def publish(mode, officials):
    author, approver = officials
    EnterpriseFactory.create_batch(12)
    for code in ("hrss", "market"):
        refresh_extract(code, purpose="test", as_of=TODAY)
    policy = Policy.objects.create(
        code=f"batch-{mode}", department=department("hrss"), title_zh="免申即享",
        title_en="Without applying", summary_zh="-", summary_en="-", legal_basis_zh="-",
        benefit_type="employment_subsidy", delivery_mode=mode)  # fmt: skip
    criteria = {"all": [{**SIMPLE_CRITERIA["all"][0], "value": 1}, SIMPLE_CRITERIA["all"][1]]}
    version = create_draft(
        policy=policy,
        actor=author,
        **version_fields(valid_from=TODAY - timedelta(days=1), criteria=criteria, parameters={}),
    )
    generate_boundary_cases(version)
    return approve(submit_for_approval(version, actor=author), actor=approver)


def test_publishing_an_automatic_policy_pays_everyone_it_fits(officials_pair):  # noqa: F811
    version = publish(DeliveryMode.AUTOMATIC, officials_pair)
    run = BatchRun.objects.get(version=version)
    assert run.status == BatchRun.Status.DONE
    assert run.enterprises == 12 and 0 < run.qualified <= 12
    claims = Claim.objects.filter(version=version)
    assert claims.count() == run.qualified
    assert set(claims.values_list("status", flat=True)) == {ClaimStatus.PAID}
    assert TreasuryRecord.objects.count() == run.qualified
    assert LedgerEntry.objects.count() == 2 * run.qualified


def test_a_repeated_run_creates_nothing_twice(officials_pair):  # noqa: F811
    version = publish(DeliveryMode.AUTOMATIC, officials_pair)
    qualified = BatchRun.objects.get(version=version).qualified
    BatchRun.objects.filter(version=version).update(status=BatchRun.Status.RUNNING)  # "crashed"
    start(version.pk)
    assert Claim.objects.filter(version=version).count() == qualified
    assert TreasuryRecord.objects.count() == qualified


def test_a_confirm_policy_offers_and_one_click_pays(officials_pair):  # noqa: F811
    version = publish(DeliveryMode.CONFIRM, officials_pair)
    offers = Claim.objects.filter(version=version)
    assert offers.exists()
    assert set(offers.values_list("status", flat=True)) == {ClaimStatus.OFFERED}
    assert not TreasuryRecord.objects.exists()
    offer = offers.first()
    with pytest.raises(ClaimRefused):
        confirm_offer(offer.pk, actor=member_of(EnterpriseFactory()))
    confirm_offer(offer.pk, actor=member_of(offer.enterprise))
    offer.refresh_from_db()
    assert offer.status == ClaimStatus.PAID and TreasuryRecord.objects.count() == 1


def test_apply_policies_start_no_batch(officials_pair):  # noqa: F811
    version = publish(DeliveryMode.APPLY, officials_pair)
    assert not BatchRun.objects.filter(version=version).exists()
    assert not Claim.objects.exists()


def test_the_enterprise_confirms_an_offer_on_its_claim_page(client, officials_pair):  # noqa: F811
    from django.urls import reverse

    version = publish(DeliveryMode.CONFIRM, officials_pair)
    offer = Claim.objects.filter(version=version).first()
    other = Claim.objects.filter(version=version).exclude(pk=offer.pk).first()
    client.force_login(member_of(offer.enterprise))
    page = client.get(reverse("subsidies:claim", args=[offer.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert b"Confirm and receive" in page.content
    if other is not None:  # another enterprise's offer is not even visible
        assert client.post(reverse("subsidies:confirm", args=[other.pk])).status_code == 404
    client.post(reverse("subsidies:confirm", args=[offer.pk]))
    offer.refresh_from_db()
    assert offer.status == ClaimStatus.PAID
