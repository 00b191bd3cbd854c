# ruff: noqa: F811 - the fixtures imported from test_pay are named as parameters
"""The enterprise-confirmed route (issue #26): the batch offers each qualifying employee a
claim; the employer's member sees the roster the data proposes (name, masked identity
number, insured since, status: nothing else), removes leavers with the reason, confirms
the rest, and each is paid to their own account. It cannot add anyone; a person whose
insurance there ended before confirmation is withdrawn, not paid."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from sandbox.treasury.models import TreasuryRecord
from subsidies.errors import ClaimRefused, RosterNotAllowed
from subsidies.models import Claim, ClaimStatus, LedgerEntry, person_account
from subsidies.roster import confirm_roster
from subsidies.selectors import RosterLine, roster, rosters_to_confirm
from tests.factories import member_of

from .test_pay import person_version, staff, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def offered(staff):
    from policies.models import DeliveryMode

    version = person_version(DeliveryMode.CONFIRM)
    return version, member_of(staff.first)


def test_the_batch_offers_and_the_roster_shows_only_what_confirming_needs(staff, offered):
    version, member = offered
    claims = Claim.objects.filter(version=version)
    assert set(claims.values_list("status", flat=True)) == {ClaimStatus.OFFERED}
    assert not TreasuryRecord.objects.exists()
    lines = roster(member, version, staff.first)
    chen, number = staff.people["陈小青"]
    assert {line.name for line in lines} == {"陈小青", "林大山", "王五"}  # not 赵六, not 钱七
    line = next(line for line in lines if line.person_id == chen.pk)
    assert line.id_masked == chen.id_masked and number not in repr(lines)
    assert line.insured_since is not None and line.status == ClaimStatus.OFFERED
    # The projection is exactly this: no amount, no account, no other personal fact.
    assert {f.name for f in dataclasses.fields(RosterLine)} == {
        "claim_id", "person_id", "name", "id_masked", "insured_since", "status",
        "status_label"}  # fmt: skip
    assert rosters_to_confirm(member)[0]["waiting"] == 3


def test_only_the_employers_members_see_its_roster(staff, offered):
    version, _member = offered
    other = member_of(staff.second)
    with pytest.raises(RosterNotAllowed):
        roster(other, version, staff.first)
    assert [line.name for line in roster(other, version, staff.second)] == ["钱七"]
    with pytest.raises(RosterNotAllowed):
        confirm_roster(other, version, staff.first, [], "")


def test_confirming_pays_the_rest_and_withdraws_those_removed_with_the_reason(
    staff,
    offered,
    world,
):
    version, member = offered
    lin = staff.people["林大山"][0]
    outcome = confirm_roster(member, version, staff.first, [str(lin.pk)], "已离职 left in May")
    claims = Claim.objects.filter(version=version, enterprise=staff.first)
    removed = claims.get(person=lin)
    assert removed.status == ClaimStatus.WITHDRAWN
    assert removed.withdrawal_reason == "已离职 left in May"
    paid = claims.filter(status=ClaimStatus.PAID)
    assert {c.person.name for c in paid} == {"陈小青", "王五"}
    assert sorted(outcome.confirmed) == sorted(c.pk for c in paid)
    for claim in paid:
        assert claim.disbursement.bank_account == world.people[claim.person_id]["account"]
        assert LedgerEntry.objects.get(claim=claim, account=person_account(claim.person_id)
                                       ).credit == Decimal("800.00")  # fmt: skip
    # The other employer's person is still waiting for their own employer.
    assert Claim.objects.get(version=version, enterprise=staff.second).status == "offered"
    # Confirming again changes nothing and pays nobody twice.
    again = confirm_roster(member, version, staff.first, [], "")
    assert again.confirmed == [] and TreasuryRecord.objects.count() == 2


def test_a_person_who_left_before_confirmation_is_withdrawn_not_paid(staff, offered, world):
    version, member = offered
    wang = staff.people["王五"][0]
    world.people[wang.pk]["employer"] = staff.second  # moved on since the batch ran
    outcome = confirm_roster(member, version, staff.first, [], "")
    claim = Claim.objects.get(version=version, person=wang)
    assert claim.status == ClaimStatus.WITHDRAWN and outcome.left == [claim.pk]
    assert "insurance with this employer had ended" in claim.decision["withdrawn"]["en"]
    assert not LedgerEntry.objects.filter(claim=claim).exists()
    assert Claim.objects.filter(version=version, enterprise=staff.first,
                                status=ClaimStatus.PAID).count() == 2  # fmt: skip


def test_the_employer_cannot_add_or_remove_anyone_the_data_does_not_show(staff, offered):
    version, member = offered
    qian = staff.people["钱七"][0]  # on the other employer's roster
    zhao = staff.people["赵六"][0]  # at this employer, but not qualifying
    for bad in ([qian.pk], [zhao.pk], [999_999], ["abc"], ["1e400"], [-3]):
        with pytest.raises(ClaimRefused):
            confirm_roster(member, version, staff.first, bad, "left")
    with pytest.raises(ClaimRefused):  # removing someone needs the reason
        confirm_roster(member, version, staff.first, [staff.people["陈小青"][0].pk], " ")
    assert set(Claim.objects.filter(version=version).values_list("status", flat=True)) == {
        ClaimStatus.OFFERED}  # fmt: skip
    assert not Claim.objects.filter(version=version, person=zhao).exists()
