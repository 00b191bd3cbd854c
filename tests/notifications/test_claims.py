"""Claims tell the enterprise's members: a paid claim gives each member one notification in
the portal and one e-mail; offers from a batch go out in one bulk notify."""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction

from policies.models import DeliveryMode, Policy
from policies.services.drafts import create_draft
from qinqing.notifications.models import Notification
from subsidies.models import Claim, ClaimStatus
from subsidies.moves import move_claim
from subsidies.notifications import notify_claims
from tests.factories import (
    EnterpriseFactory,
    MembershipFactory,
    OfficialFactory,
    department,
    member_of,
)

from ..policies.test_lifecycle import version_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    policy = Policy.objects.create(
        code="jobs", department=department("hrss"), title_zh="稳岗补贴", title_en="Job subsidy",
        summary_zh="-", summary_en="-", legal_basis_zh="-", benefit_type="employment_subsidy",
        delivery_mode=DeliveryMode.CONFIRM,
    )  # fmt: skip
    author = OfficialFactory(department=department("hrss"), district=None)
    return create_draft(policy=policy, actor=author, **version_fields())


def make_claim(version, enterprise, status, amount="5000.00"):
    return Claim.objects.create(
        enterprise=enterprise, policy=version.policy, version=version, period="2026",
        status=status, amount=Decimal(amount),
    )  # fmt: skip


def move(claim_id, to, capture):
    with capture(execute=True), transaction.atomic():
        return move_claim(Claim.objects.select_for_update().get(pk=claim_id), to)


def test_a_paid_claim_tells_each_member_once_in_the_portal_and_by_email(
    version, django_capture_on_commit_callbacks
):
    enterprise = EnterpriseFactory()
    members = [member_of(enterprise, email=f"m{i}@example.com") for i in range(2)]
    bystander = member_of(EnterpriseFactory(), email="other@example.com")
    claim = make_claim(version, enterprise, ClaimStatus.PAYING)

    move(claim.pk, ClaimStatus.PAID, django_capture_on_commit_callbacks)

    rows = Notification.objects.filter(kind="claim.paid")
    assert sorted(row.recipient_id for row in rows) == sorted(m.pk for m in members)
    assert all(row.link == f"/claims/{claim.pk}/" and row.in_app for row in rows)
    assert "5,000.00" in rows[0].title and "稳岗补贴" in rows[0].title
    assert sorted(message.to[0] for message in mail.outbox) == ["m0@example.com", "m1@example.com"]
    assert not Notification.objects.filter(recipient=bystander).exists()


def test_only_the_statuses_that_matter_are_told_and_waiting_only_once(
    version, django_capture_on_commit_callbacks
):
    enterprise = EnterpriseFactory()
    member_of(enterprise)
    claim = make_claim(version, enterprise, ClaimStatus.SUBMITTED)
    move(claim.pk, ClaimStatus.CHECKING, django_capture_on_commit_callbacks)
    assert not Notification.objects.exists()
    Claim.objects.filter(pk=claim.pk).update(checks=1)
    move(claim.pk, ClaimStatus.AWAITING_DATA, django_capture_on_commit_callbacks)
    assert Notification.objects.filter(kind="claim.awaiting_data").count() == 1
    move(claim.pk, ClaimStatus.CHECKING, django_capture_on_commit_callbacks)
    Claim.objects.filter(pk=claim.pk).update(checks=2)
    move(claim.pk, ClaimStatus.AWAITING_DATA, django_capture_on_commit_callbacks)
    assert Notification.objects.filter(kind="claim.awaiting_data").count() == 1


def test_a_rolled_back_change_tells_nobody(version, django_capture_on_commit_callbacks):
    enterprise = EnterpriseFactory()
    member_of(enterprise)
    claim = make_claim(version, enterprise, ClaimStatus.PAYING)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        move_claim(Claim.objects.get(pk=claim.pk), ClaimStatus.PAID)
        raise RuntimeError
    assert not Notification.objects.exists()


def test_offers_for_many_claims_go_out_in_a_few_queries(version, django_assert_max_num_queries):
    enterprises = EnterpriseFactory.create_batch(20)
    for enterprise in enterprises:
        member_of(enterprise)
    both = member_of(enterprises[0])  # a member of two enterprises hears about each claim
    MembershipFactory(enterprise=enterprises[1], user=both)
    claims = [make_claim(version, enterprise, ClaimStatus.OFFERED) for enterprise in enterprises]
    with django_assert_max_num_queries(4):  # claims, members, preferences, one insert
        created = notify_claims([claim.pk for claim in claims], ClaimStatus.OFFERED)
    assert len(created) == 22
    links = sorted(row.link for row in created if row.recipient_id == both.pk)
    assert links == sorted([f"/claims/{claims[0].pk}/", f"/claims/{claims[1].pk}/"])
    assert all("¥5,000.00" in row.title and "稳岗补贴" in row.title for row in created)
