"""A correction that shows a paid claim was never due raises one recovery order for what
was paid; a correction that leaves it due raises none."""

import pytest

from datahub.fetching.pipeline import fetch_facts
from disputes.models import Origin
from disputes.services import correct, raise_dispute
from policies.selectors import describe_claim
from recovery.models import RecoveryOrder
from recovery.rechecks import check_paid_claims
from subsidies.models import ClaimStatus
from subsidies.pipeline import check
from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of

from ..disputes.test_correction_reaches_the_claim import _claim, staff_policy


@pytest.fixture
def enterprise(reference_data):
    """An enterprise the simulated department says insures someone (a few insure nobody,
    chosen by the code the factory hands out): made before the extracts are refreshed."""
    EnterpriseFactory.create_batch(2)
    for _attempt in range(40):
        candidate = EnterpriseFactory()
        facts = fetch_facts(candidate, ["hrss.insured_employees"], purpose="test set-up")
        if facts["hrss.insured_employees"].value:
            return candidate
    raise AssertionError("the simulator gave 40 enterprises in a row no insured staff")


pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def paid_claim(enterprise):
    """The policy asks for at least one insured employee: the enterprise's claim is paid."""
    claim = check(_claim(staff_policy(1), enterprise).pk)
    assert claim.status == ClaimStatus.PAID, claim.status
    return claim


def _corrected(claim, enterprise, value):
    member = member_of(enterprise)
    official = OfficialFactory(department=department("hrss"), district=None)
    dispute = raise_dispute(
        actor=member, enterprise=enterprise, fact="hrss.insured_employees",
        claimed_value=str(value), statement="-", origin=Origin.CLAIM,
        claim=describe_claim(member, claim.pk),
    )  # fmt: skip
    correct(dispute.pk, actor=official, value=str(value), reason="-")


def test_a_correction_that_makes_a_paid_claim_ineligible_raises_one_order(paid_claim, enterprise):
    _corrected(paid_claim, enterprise, 0)
    orders = RecoveryOrder.objects.filter(claim=paid_claim)
    assert orders.count() == 1
    order = orders.get()
    assert order.amount == paid_claim.amount and order.grounds == "ineligible"
    # The same correction heard again raises nothing more.
    assert check_paid_claims([enterprise.pk], ["hrss.insured_employees"]) == []
    assert RecoveryOrder.objects.filter(claim=paid_claim).count() == 1


def test_a_correction_that_keeps_the_claim_due_raises_nothing(paid_claim, enterprise):
    _corrected(paid_claim, enterprise, 50)
    assert not RecoveryOrder.objects.filter(claim=paid_claim).exists()
