"""A person's fact corrected on a dispute becomes the hub's answer about the person
(issues #22 and #26): one FactCorrection naming the person (and no enterprise), read by
fetch_person_facts and the person extracts with its provenance; the hub signals the change
naming the person only, and the person's claim found not eligible is decided again and
paid, without a new claim."""

from __future__ import annotations

import pytest

from datahub.extracts.persons import read_person_snapshot
from datahub.fetching.pipeline import fetch_person_facts
from datahub.models import FactCorrection
from datahub.signals import send_facts_changed
from disputes.models import Origin
from disputes.services import correct, raise_dispute
from policies.models import DeliveryMode
from policies.selectors import describe_claim
from qinqing.notifications.models import Notification
from qinqing.scoping import visible_to
from sandbox.treasury.models import TreasuryRecord
from subsidies.claims import submit_claim
from subsidies.models import Claim, ClaimStatus, Reevaluation
from subsidies.notification_kinds import NotificationKind
from tests.factories import OfficialFactory, department

from . import test_person_reevaluation as world
from .test_person_reevaluation import CRITERIA, HOME, publish_for_persons, refresh_persons

pytestmark = pytest.mark.django_db(transaction=True)
# The departments answering from the test's table, and the small town they answer about.
departments = world.departments
town = world.town
# The person's own conditions only: a claim checked one at a time reads the employer's
# facts as single answers, which the extracts' stand-in does not change.
PERSON_ONLY = {"all": CRITERIA["all"][:2]}


@pytest.fixture
def housing_official(reference_data):
    return OfficialFactory(department=department("housing"), district=None, display_name="周科长")


def test_a_corrected_fact_pays_the_persons_claim_without_a_new_claim(
    town,
    departments,
    housing_official,
):
    person = town.people.owns_home
    version = publish_for_persons(DeliveryMode.AUTOMATIC, criteria=PERSON_ONLY)
    claim, _made = submit_claim(person=person, policy=version.policy, actor=person.user)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.INELIGIBLE
    dispute = raise_dispute(
        actor=person.user, person=person, fact=HOME, claimed_value="否", origin=Origin.CLAIM,
        statement="房产已于上月过户，登记未更新。", claim=describe_claim(person.user, claim.pk),
    )  # fmt: skip
    assert dispute.held_value is True
    correct(dispute.pk, actor=housing_official, value="否", reason="核实已过户。")

    # The hub's answer about the person, with its provenance; nobody else's changes.
    correction = FactCorrection.objects.get()
    assert correction.person == person and correction.enterprise is None
    fact = fetch_person_facts(person, [HOME], purpose="test")[HOME]
    assert fact.value is False and fact.known
    assert fact.correction["dispute"] == dispute.reference
    assert fact.correction["official"] == "周科长"
    snapshot = read_person_snapshot([HOME])
    assert snapshot.value(person.pk, HOME) is False
    assert snapshot.value(town.people.stays_out.pk, HOME) is True
    # The change names the person alone: the employer is not told.
    change = Reevaluation.objects.get(cause="correction")
    assert change.person_ids == [person.pk] and change.enterprise_ids == []
    assert change.facts == [HOME]

    # Decided again through the claim pipeline and paid: the same claim.
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert Claim.objects.filter(person=person, policy=version.policy).count() == 1
    assert claim.facts[HOME]["value"] is False
    assert claim.facts[HOME]["correction"]["dispute"] == dispute.reference
    told = Notification.objects.filter(recipient=person.user)
    assert told.filter(kind="disputes.dispute").count() == 2  # sent, corrected
    assert told.filter(kind=NotificationKind.CLAIM_PAID).count() == 1
    assert not Notification.objects.filter(recipient=town.member).exists()

    # A redelivered signal, or the department's next extract: nothing paid twice.
    send_facts_changed([], [HOME], "correction", person_ids=[person.pk])
    refresh_persons("housing")
    assert Claim.objects.filter(person=person, policy=version.policy).count() == 1
    assert TreasuryRecord.objects.filter(key=claim.disbursement.idempotency_key).count() == 1


def test_a_person_s_correction_is_theirs_to_see(town, departments, housing_official):
    person = town.people.owns_home
    dispute = raise_dispute(actor=person.user, person=person, fact=HOME, claimed_value="否",
                            statement="登记有误。")  # fmt: skip
    correct(dispute.pk, actor=housing_official, value="否", reason="更正。")
    correction = FactCorrection.objects.get()
    assert list(visible_to(person.user, FactCorrection)) == [correction]
    assert not visible_to(town.people.qualifies.user, FactCorrection).exists()
    assert not visible_to(town.member, FactCorrection).exists()
    assert list(visible_to(housing_official, FactCorrection)) == [correction]


def test_a_corrected_fact_is_no_change_when_the_extract_moves_under_it(
    town,
    departments,
    housing_official,
):
    """The correction wins over the department's value: a later extract that changes the
    corrected fact is not a change of it (nobody reading it sees a difference)."""
    person = town.people.owns_home
    dispute = raise_dispute(actor=person.user, person=person, fact=HOME, claimed_value="否",
                            statement="登记有误。")  # fmt: skip
    correct(dispute.pk, actor=housing_official, value="否", reason="更正。")
    before = Reevaluation.objects.count()
    departments.rows[person.number]["owns"] = False  # the department catches up
    refresh_persons("housing")
    assert Reevaluation.objects.count() == before
    assert read_person_snapshot([HOME]).value(person.pk, HOME) is False
