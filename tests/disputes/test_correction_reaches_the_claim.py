"""A correction becomes the hub's answer: fetch_facts and the bulk extract give the corrected
value with its provenance, the hub signals the change on commit, and the enterprise's claim
found not eligible is decided again on the signal (subsidies/reevaluation.py, through the
one claim pipeline) and paid, without the enterprise claiming again."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from datahub.corrections import provenance_text
from datahub.extracts.reading import read_snapshot
from datahub.extracts.refresh import refresh_extract
from datahub.fetching.pipeline import fetch_facts
from datahub.signals import facts_changed
from disputes.models import Origin
from disputes.services import correct, raise_dispute
from policies.models import DeliveryMode, Policy
from policies.selectors import describe_claim
from policies.services.boundary_cases import generate_boundary_cases
from policies.services.drafts import create_draft
from policies.services.publication import approve, submit_for_approval
from qinqing import errors
from subsidies.claims import period_key
from subsidies.models import Claim, ClaimStatus
from subsidies.pipeline import check
from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of

from ..policies.conftest import TODAY
from ..policies.test_lifecycle import LABEL, version_fields

pytestmark = pytest.mark.django_db(transaction=True)
# More insured staff than any simulated enterprise has: every claim is found not eligible
# until the department corrects the fact.
THRESHOLD = 1_000_000


@pytest.fixture
def enterprise(reference_data):
    """Made before the extracts are refreshed, so that they hold it."""
    EnterpriseFactory.create_batch(2)
    return EnterpriseFactory()


@pytest.fixture
def policy(enterprise) -> Policy:
    return staff_policy(THRESHOLD)


def staff_policy(threshold: int) -> Policy:
    """An automatic policy for employers with at least `threshold` insured staff."""
    author = OfficialFactory(department=department("hrss"), district=None, username="d1")
    approver = OfficialFactory(department=department("hrss"), district=None, username="d2")
    for code in ("hrss", "market"):
        refresh_extract(code, purpose="test", as_of=TODAY)
    policy = Policy.objects.create(
        code="big-employer", department=department("hrss"), title_zh="大企业稳岗",
        title_en="Large employers", summary_zh="-", summary_en="-", legal_basis_zh="-",
        benefit_type="employment_subsidy", delivery_mode=DeliveryMode.APPLY,
    )  # fmt: skip
    staff = {"id": "staff", "label": LABEL, "clause": "§3", "fact": "hrss.insured_employees",
             "op": "ge", "value": threshold}  # fmt: skip
    criteria = {"all": [staff]}
    version = create_draft(
        policy=policy, actor=author,
        **version_fields(valid_from=TODAY - timedelta(days=1), criteria=criteria, parameters={}),
    )  # fmt: skip
    generate_boundary_cases(version)
    approve(submit_for_approval(version, actor=author), actor=approver)
    Policy.objects.filter(pk=policy.pk).update(delivery_mode=DeliveryMode.AUTOMATIC)
    policy.refresh_from_db()
    return policy


def _claim(policy: Policy, enterprise) -> Claim:
    version = policy.versions.get()
    return Claim.objects.create(enterprise=enterprise, policy=policy, version=version,
                                period=period_key(version, TODAY),
                                status=ClaimStatus.CHECKING, checks=1)  # fmt: skip


def test_corrected_fact_is_the_hubs_answer_and_the_claim_is_paid_on_recheck(policy, enterprise):
    member = member_of(enterprise)
    official = OfficialFactory(department=department("hrss"), district=None,
                               display_name="王科长")  # fmt: skip
    claim = check(_claim(policy, enterprise).pk)
    assert claim.status == ClaimStatus.INELIGIBLE
    held = claim.facts["hrss.insured_employees"]["value"]
    assert held < THRESHOLD and "correction" not in claim.facts["hrss.insured_employees"]

    described = describe_claim(member, claim.pk)
    dispute = raise_dispute(
        actor=member, enterprise=enterprise, fact="hrss.insured_employees",
        claimed_value=str(THRESHOLD + 5), statement="漏报了参保人员。", origin=Origin.CLAIM,
        claim=described,
    )  # fmt: skip
    assert dispute.held_value == held and dispute.claim_id == claim.pk
    heard = []

    def receiver(sender, **kwargs):
        heard.append((kwargs["enterprise_ids"], kwargs["facts"], kwargs["cause"]))

    facts_changed.connect(receiver, dispatch_uid="test-disputes-flow")
    try:
        correct(dispute.pk, actor=official, value=str(THRESHOLD + 5), reason="补录。")
    finally:
        facts_changed.disconnect(dispatch_uid="test-disputes-flow")
    assert heard == [([enterprise.pk], ["hrss.insured_employees"], "correction")]

    # The hub's answer: the corrected value, with its provenance.
    fact = fetch_facts(enterprise, ["hrss.insured_employees"], purpose="test")[
        "hrss.insured_employees"
    ]
    assert fact.value == THRESHOLD + 5 and fact.known
    assert fact.correction["dispute"] == dispute.reference
    assert fact.correction["official"] == "王科长"
    assert dispute.reference in provenance_text(fact.correction)
    # The bulk extract's read too.
    snapshot = read_snapshot(["hrss.insured_employees"])
    assert snapshot.value(enterprise.pk, "hrss.insured_employees") == THRESHOLD + 5
    others = [pk for pk in snapshot.enterprise_ids.tolist() if pk != enterprise.pk]
    assert all(snapshot.value(pk, "hrss.insured_employees") < THRESHOLD for pk in others)

    # The re-evaluation on the signal decided the claim again: paid, with no new claim.
    claim.refresh_from_db()
    assert Claim.objects.filter(enterprise=enterprise, policy=policy).count() == 1
    assert claim.status == ClaimStatus.PAID and claim.amount == Decimal("5000.00")
    stored = claim.facts["hrss.insured_employees"]
    assert stored["value"] == THRESHOLD + 5
    assert stored["correction"]["dispute"] == dispute.reference
    # The claim's explanation shows where the value came from, and offers to contest it.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(member)
    shown = client.get(f"/claims/{claim.pk}/").content.decode()
    assert f"corrected by dispute no. {dispute.reference}, 王科长" in shown
    contest = f"/disputes/new/?from=claim&amp;claim={claim.pk}&amp;fact=hrss.insured_employees"
    assert contest in shown


def test_a_dispute_on_a_claim_of_a_closed_period_is_refused(policy, enterprise):
    member = member_of(enterprise)
    claim = check(_claim(policy, enterprise).pk)
    Claim.objects.filter(pk=claim.pk).update(period="2001")  # a year long closed
    with pytest.raises(errors.Conflict) as refused:
        raise_dispute(actor=member, enterprise=enterprise, fact="hrss.insured_employees",
                      claimed_value="12", statement="-", origin=Origin.CLAIM,
                      claim=describe_claim(member, claim.pk))  # fmt: skip
    assert refused.value.code == "period_closed"


def test_a_dispute_on_a_fact_the_claim_was_not_decided_on_is_refused(policy, enterprise):
    member = member_of(enterprise)
    claim = check(_claim(policy, enterprise).pk)
    with pytest.raises(errors.Invalid):
        raise_dispute(actor=member, enterprise=enterprise, fact="tax.annual_revenue",
                      claimed_value="12", statement="-", origin=Origin.CLAIM,
                      claim=describe_claim(member, claim.pk))  # fmt: skip
