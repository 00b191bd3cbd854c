"""Enjoy without applying: publishing an automatic or confirm version finds and pays (or
offers) every qualifying enterprise, once, however often the run is repeated."""

from datetime import timedelta
from decimal import Decimal

import pytest

from datahub.extracts.refresh import refresh_extract
from policies.models import DeliveryMode, Policy
from policies.services.boundary_cases import generate_boundary_cases
from policies.services.drafts import create_draft
from policies.services.publication import approve, submit_for_approval
from sandbox.treasury.models import TreasuryRecord
from subsidies.batch import start
from subsidies.claims import confirm_offer
from subsidies.errors import ClaimRefused
from subsidies.models import BatchRun, Claim, ClaimStatus, LedgerEntry
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


def test_a_chunk_delivered_twice_makes_its_claims_once(officials_pair):  # noqa: F811
    from subsidies.batch import decide_chunk
    from subsidies.models import BatchChunk

    version = publish(DeliveryMode.CONFIRM, officials_pair)
    run = BatchRun.objects.get(version=version)
    offered = Claim.objects.filter(version=version).count()
    chunk = BatchChunk.objects.get(run=run, number=0)
    ids = list(Claim.objects.filter(version=version).values_list("enterprise_id", flat=True))
    assert decide_chunk(run.pk, 0, ids, [100] * len(ids)) == 0  # the redelivery
    assert Claim.objects.filter(version=version).count() == offered
    assert BatchChunk.objects.get(pk=chunk.pk).made == offered


def test_a_person_who_claimed_first_keeps_their_claim(officials_pair):  # noqa: F811
    from subsidies.batch import decide_chunk
    from subsidies.claims import submit_claim

    version = publish(DeliveryMode.CONFIRM, officials_pair)
    run = BatchRun.objects.get(version=version)
    newcomer = EnterpriseFactory()
    claim, _ = submit_claim(enterprise=newcomer, policy=version.policy,
                            actor=member_of(newcomer))  # fmt: skip
    claim.refresh_from_db()  # as the person's own check decided it
    before = (claim.pk, claim.origin, claim.status, claim.amount, claim.version_id)
    assert decide_chunk(run.pk, 99, [newcomer.pk], [500_00]) == 0
    # The person's claim stands as it was; the chunk's 500.00 changed nothing.
    (kept,) = Claim.objects.filter(enterprise=newcomer)
    assert (kept.pk, kept.origin, kept.status, kept.amount, kept.version_id) == before
    assert before[1] == "enterprise"


def test_the_budget_pays_whom_it_covers_and_tells_the_rest(officials_pair):  # noqa: F811

    from subsidies.batch import decide_chunk
    from subsidies.models import Budget

    version = publish(DeliveryMode.CONFIRM, officials_pair)
    version.policy.delivery_mode = DeliveryMode.AUTOMATIC
    version.policy.save()
    run = BatchRun.objects.get(version=version)
    Budget.objects.update_or_create(version=version, defaults={"total": Decimal("300.00")})
    enterprises = EnterpriseFactory.create_batch(3)
    decide_chunk(run.pk, 50, [e.pk for e in enterprises], [100_00, 250_00, 150_00])
    statuses = dict(Claim.objects.filter(enterprise__in=enterprises)
                    .values_list("enterprise_id", "status"))  # fmt: skip
    assert [statuses[e.pk] for e in enterprises] == [
        ClaimStatus.PAID,
        ClaimStatus.BUDGET_EXHAUSTED,
        ClaimStatus.PAID,
    ]
    budget = Budget.objects.get(version=version)
    assert budget.reserved == budget.paid == Decimal("250.00")


def test_a_batch_claim_explains_each_criterion_from_the_facts_it_kept(officials_pair):  # noqa: F811
    version = publish(DeliveryMode.AUTOMATIC, officials_pair)
    claim = Claim.objects.filter(version=version).first()
    assert claim.decision["criteria"] == [] and claim.facts["values"]
    explained = claim.explanation
    assert len(explained) == len(version.rules.fact_names)
    assert all(row["met"] for row in explained)
    assert {row["fact"]: row["value"] for row in explained} == claim.facts["values"]


def test_officials_watch_a_run_of_their_department_only(officials_pair, client):  # noqa: F811
    from tests.factories import OfficialFactory

    version = publish(DeliveryMode.AUTOMATIC, officials_pair)
    run = BatchRun.objects.get(version=version)
    client.force_login(officials_pair[0])
    page = client.get(f"/claims/batches/{run.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    paid = Claim.objects.filter(version=version, status=ClaimStatus.PAID).count()
    assert page.context["figures"]["paid"] == paid == run.qualified
    assert "hx-get" not in page.content.decode()  # done: nothing left to poll
    client.force_login(OfficialFactory(department=department("taxation")))
    assert client.get(f"/claims/batches/{run.pk}/").status_code == 404
    client.force_login(member_of(EnterpriseFactory()))
    assert client.get(f"/claims/batches/{run.pk}/").status_code == 404
