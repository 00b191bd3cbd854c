"""Failed payments are retried (issue 19, item 8): automatically when the enterprise puts
its bank details right, by hand by an official with a reason (audited), and always with
the claim's one payment key, so a retry racing a late treasury answer pays once."""

import pytest
from django.urls import reverse

from enterprises.services import parse_contact_details, update_contact_details
from qinqing.audit.models import AuditEvent
from qinqing.checkpoints import CHECKPOINTS
from sandbox.treasury.models import TreasuryRecord
from sandbox.treasury.simulation import SimulatedTreasury
from subsidies.claims import retry_payment
from subsidies.errors import ClaimConflict, ClaimRefused, ReviewNotAllowed
from subsidies.gateway import PaymentResult
from subsidies.models import Claim, ClaimStatus, DisbursementStatus, LedgerEntry
from subsidies.payments import pay_claims
from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of

from .test_claims import officials_pair, policy  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)
ACCOUNT = "6222020200112233445"


@pytest.fixture
def failed_claim(policy):  # noqa: F811
    """A new enterprise with no bank account on record claims: the payment fails."""
    from subsidies.claims import submit_claim

    enterprise = EnterpriseFactory(bank_name="", bank_account="")
    member = member_of(enterprise)
    claim, _ = submit_claim(enterprise=enterprise, policy=policy, actor=member)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAYMENT_FAILED
    assert claim.disbursement.last_error == "no bank account on record"
    return claim, member


@pytest.fixture
def hrss(reference_data):
    return OfficialFactory(department=department("hrss"), district=None, username="payer")


def _paid_once(claim: Claim) -> None:
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    key = f"qinqing-claim-{claim.pk}"
    assert claim.disbursement.idempotency_key == key
    assert list(TreasuryRecord.objects.values_list("key", flat=True)) == [key]
    legs = LedgerEntry.objects.filter(transaction=key)
    assert len(legs) == 2 and sum(leg.debit for leg in legs) == sum(leg.credit for leg in legs)


def test_new_bank_details_retry_the_failed_payment(failed_claim):
    claim, member = failed_claim
    update_contact_details(
        enterprise=claim.enterprise, actor=member,
        details=parse_contact_details(contact_phone="13800000000", bank_name="杭州银行",
                                      bank_account=ACCOUNT),
    )  # fmt: skip
    _paid_once(claim)
    assert claim.disbursement.bank_account == ACCOUNT
    retried = AuditEvent.objects.get(action="claim.payment_retried")
    assert retried.after["previous_error"] == "no bank account on record"


def test_an_official_retries_by_hand_with_a_reason(failed_claim, hrss):
    claim, member = failed_claim
    type(claim.enterprise).objects.filter(pk=claim.enterprise_id).update(
        bank_name="杭州银行", bank_account=ACCOUNT
    )  # fmt: skip (changed behind the signal)
    with pytest.raises(ClaimRefused):
        retry_payment(claim.pk, actor=hrss, reason="  ")
    with pytest.raises(ReviewNotAllowed):
        retry_payment(claim.pk, actor=member, reason="paid by myself")
    retry_payment(claim.pk, actor=hrss, reason="account confirmed by phone")
    _paid_once(claim)
    event = AuditEvent.objects.get(action="claim.payment_retried")
    assert event.after["reason"] == "account confirmed by phone" and event.actor_id == hrss.pk
    with pytest.raises(ClaimConflict):  # paid: nothing to retry
        retry_payment(claim.pk, actor=hrss, reason="again")


def test_no_retry_by_hand_while_no_account_is_on_record(failed_claim, hrss):
    claim, _member = failed_claim
    with pytest.raises(ClaimConflict):
        retry_payment(claim.pk, actor=hrss, reason="try")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAYMENT_FAILED and not TreasuryRecord.objects.exists()


def test_the_api_action_and_the_page_button(failed_claim, hrss, api_client, client):
    claim, member = failed_claim
    type(claim.enterprise).objects.filter(pk=claim.enterprise_id).update(bank_account=ACCOUNT)
    url = f"/api/v1/claims/{claim.pk}/retry-payment/"
    api_client.force_authenticate(member)
    assert api_client.post(url, {"reason": "x"}, format="json").status_code in (403, 404)
    api_client.force_authenticate(hrss)
    assert api_client.post(url, {}, format="json").status_code == 400
    client.force_login(hrss)
    page = client.get(reverse("subsidies:claim", args=[claim.pk]))
    assert reverse("subsidies:retry_payment", args=[claim.pk]) in page.content.decode()
    confirm = client.get(reverse("subsidies:retry_payment", args=[claim.pk]))
    assert confirm.status_code == 200 and b'name="reason"' in confirm.content
    assert client.post(reverse("subsidies:retry_payment", args=[claim.pk]),
                       {"reason": ""}).status_code == 400  # fmt: skip
    answer = api_client.post(url, {"reason": "account checked"}, format="json")
    assert answer.status_code == 200 and answer.json()["status"] == ClaimStatus.PAID
    assert api_client.post(url, {"reason": "again"}, format="json").status_code == 409
    _paid_once(claim)


def test_a_retry_after_a_late_treasury_answer_pays_once(policy, hrss, monkeypatch):  # noqa: F811
    """The treasury refused the payment, then paid it after all (its late answer): the
    retry sends the same key, the treasury knows it, and nothing is paid twice."""
    from subsidies.claims import submit_claim

    def refuse_but_pay(self, orders, **kwargs):
        for order in orders:
            TreasuryRecord.objects.get_or_create(
                key=order.key,
                defaults={"amount": order.amount, "account": order.account, "reference": "HZTLATE"},
            )
        return [PaymentResult(order.key, "refused") for order in orders]

    with pytest.MonkeyPatch.context() as patches:  # only these are lifted after it
        patches.setattr(SimulatedTreasury, "pay_many", refuse_but_pay)
        enterprise = EnterpriseFactory()
        claim, _ = submit_claim(enterprise=enterprise, policy=policy, actor=member_of(enterprise))
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.PAYMENT_FAILED
    retry_payment(claim.pk, actor=hrss, reason="the treasury says it was a glitch")
    _paid_once(claim)
    assert claim.disbursement.reference == "HZTLATE"


def test_a_retry_racing_the_payment_in_flight_pays_once(failed_claim, hrss):
    """While the automatic retry's payment is at the treasury (paid, not yet booked), an
    official retries by hand and the payment task is delivered again: one payment."""
    claim, member = failed_claim
    seen = []

    def meanwhile(name):
        CHECKPOINTS.unregister(name)
        with pytest.raises(ClaimConflict):
            retry_payment(claim.pk, actor=hrss, reason="impatient")
        seen.append(Claim.objects.get(pk=claim.pk).status)

    CHECKPOINTS.register("after_treasury_call", meanwhile, replace=True)
    try:
        update_contact_details(
            enterprise=claim.enterprise, actor=member,
            details=parse_contact_details(contact_phone="13800000000", bank_name="杭州银行",
                                          bank_account=ACCOUNT),
        )  # fmt: skip
    finally:
        if CHECKPOINTS.get("after_treasury_call") is meanwhile:
            CHECKPOINTS.unregister("after_treasury_call")
    assert seen == [ClaimStatus.PAYING]
    pay_claims([claim.pk])  # the payment task delivered twice
    _paid_once(claim)
    assert claim.disbursement.status == DisbursementStatus.CONFIRMED
