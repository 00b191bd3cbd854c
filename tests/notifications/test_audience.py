"""Notifications that fit the reader: each kind says who reads it, the settings page shows
each role only its own kinds, the enterprises' three near-duplicate kinds are one (stored
rows and settings moved by a migration), a claim sent to review says so, and a policy paid
automatically sends one notice, "paid", never an invitation."""

from importlib import import_module

import pytest
from django.apps import apps
from django.urls import reverse

from policies.models import DeliveryMode
from qinqing.notifications import services
from qinqing.notifications.models import Notification, NotificationPreference
from qinqing.notifications.registry import NOTIFICATION_KINDS, Audience, kind_of, kinds_for
from subsidies.claims import submit_claim
from subsidies.models import Claim, ClaimStatus
from tests.factories import (
    AuditorFactory,
    EnterpriseFactory,
    OfficialFactory,
    UserFactory,
    department,
    member_of,
)

from ..subsidies.conftest import policy_for_everyone

OFFICIAL_ONLY = ("reconciliation.mismatch", "approval.deadline", "directline.deadline")
ENTERPRISE_ONLY = ("claim.paid", "claim.in_review", "approval.supplement", "policy.fits")


def test_every_kind_declares_its_audience():
    for code in NOTIFICATION_KINDS:
        assert kind_of(code).audience in set(Audience), code
    for code in OFFICIAL_ONLY:
        assert kind_of(code).audience == Audience.OFFICIAL
    for code in ENTERPRISE_ONLY:
        assert kind_of(code).audience == Audience.ENTERPRISE
    assert kind_of("directline.request").audience == Audience.BOTH


def test_the_near_duplicate_enterprise_kinds_are_one():
    assert "policy.fits" in NOTIFICATION_KINDS
    assert "policy.push" not in NOTIFICATION_KINDS
    assert "claim.offered" not in NOTIFICATION_KINDS


@pytest.mark.django_db
def test_an_enterprise_member_sets_only_the_enterprise_kinds(client):
    member = UserFactory()
    client.force_login(member)
    page = client.get(reverse("notifications:preferences")).content.decode()
    for code in OFFICIAL_ONLY:
        assert f'name="{code}:in_app"' not in page
    for code in (*ENTERPRISE_ONLY, "directline.request"):
        assert f'name="{code}:in_app"' in page
    # The three that meant the same are one row, in the Chinese the reader sees.
    assert page.count('<th scope="row">适合贵企业的政策</th>') == 1
    assert "有新政策适用于您的企业" not in page and "可领取的补贴" not in page
    for label in ("支付对账不一致", "审批时限提醒", "诉求办理时限"):
        assert label not in page


@pytest.mark.django_db
@pytest.mark.parametrize("factory", [OfficialFactory, AuditorFactory])
def test_the_government_side_sets_only_its_kinds(client, factory, reference_data):
    user = factory()
    client.force_login(user)
    page = client.get(reverse("notifications:preferences")).content.decode()
    for code in OFFICIAL_ONLY:
        assert f'name="{code}:in_app"' in page
    for code in ENTERPRISE_ONLY:
        assert f'name="{code}:in_app"' not in page
    assert 'name="directline.request:in_app"' in page
    assert {code for code, _kind in kinds_for(user)}.isdisjoint(ENTERPRISE_ONLY)


@pytest.mark.django_db
def test_saving_the_page_leaves_the_other_sides_settings_alone(client):
    member = UserFactory()
    # Stored while the page still showed every kind: untouched by a save now.
    NotificationPreference.objects.create(user=member, kind="approval.deadline", in_app=False,
                                          email=False)  # fmt: skip
    client.force_login(member)
    data = {f"{code}:{channel}": "on" for code, _kind in kinds_for(member)
            for channel in ("in_app", "email")}  # fmt: skip
    del data["claim.paid:email"]
    assert client.post(reverse("notifications:preferences"), data).status_code == 302
    stored = services.preferences_of(member)
    assert stored["claim.paid"] == (True, False)
    assert stored["approval.deadline"] == (False, False)


@pytest.mark.django_db
def test_the_migration_merges_stored_rows_and_settings():
    merge = import_module("qinqing.notifications.migrations.0002_merge_policy_kinds").merge
    keeps_on, all_off, untouched = UserFactory(), UserFactory(), UserFactory()
    for kind in ("policy.push", "claim.offered", "policy.fits"):
        Notification.objects.create(recipient=keeps_on, kind=kind, title=kind)
    # Off for the push only: the offers (money) were still wanted, so the merged kind is on.
    NotificationPreference.objects.create(user=keeps_on, kind="policy.push", in_app=False,
                                          email=False)  # fmt: skip
    for kind in ("policy.push", "claim.offered", "policy.fits"):
        NotificationPreference.objects.create(user=all_off, kind=kind, in_app=True, email=False)
    NotificationPreference.objects.create(user=untouched, kind="claim.paid", in_app=False,
                                          email=True)  # fmt: skip
    merge(apps, None)
    assert set(Notification.objects.values_list("kind", flat=True)) == {"policy.fits"}
    assert services.preferences_of(keeps_on)["policy.fits"] == (True, True)
    assert list(NotificationPreference.objects.filter(user=all_off).values_list(
        "kind", "in_app", "email")) == [("policy.fits", True, False)]  # fmt: skip
    assert services.preferences_of(untouched)["claim.paid"] == (False, True)


@pytest.mark.django_db(transaction=True)
def test_a_claim_sent_to_review_tells_the_enterprise(reference_data):
    enterprise = EnterpriseFactory()
    member = member_of(enterprise)
    policy = policy_for_everyone(
        code="talent-award", title="人才奖励", benefit_type="award",
        author=OfficialFactory(department=department("hrss"), district=None),
        approver=OfficialFactory(department=department("hrss"), district=None),
    )  # fmt: skip
    claim, _created = submit_claim(enterprise=enterprise, policy=policy, actor=member)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW
    (notice,) = Notification.objects.filter(recipient=member, kind="claim.in_review")
    assert "人才奖励" in notice.title and notice.link == f"/claims/{claim.pk}/"


@pytest.mark.django_db(transaction=True)
def test_a_policy_paid_automatically_sends_one_notice_paid_never_an_invitation(reference_data):
    enterprise = EnterpriseFactory()
    member = member_of(enterprise)
    policy_for_everyone(
        code="auto-jobs", title="稳岗返还", benefit_type="employment_subsidy",
        mode=DeliveryMode.AUTOMATIC,
        author=OfficialFactory(department=department("hrss"), district=None),
        approver=OfficialFactory(department=department("hrss"), district=None),
    )  # fmt: skip
    assert Claim.objects.get(enterprise=enterprise).status == ClaimStatus.PAID
    told = list(Notification.objects.filter(recipient=member).values_list("kind", "title"))
    assert [kind for kind, _title in told] == ["claim.paid"]
    assert not any("一键" in title or "适合贵企业" in title for _kind, title in told)


@pytest.mark.django_db(transaction=True)
def test_a_confirm_policy_invites_once_as_the_offer(reference_data):
    enterprise = EnterpriseFactory()
    member = member_of(enterprise)
    policy_for_everyone(
        code="confirm-jobs", title="稳岗返还", benefit_type="employment_subsidy",
        mode=DeliveryMode.CONFIRM,
        author=OfficialFactory(department=department("hrss"), district=None),
        approver=OfficialFactory(department=department("hrss"), district=None),
    )  # fmt: skip
    assert Claim.objects.get(enterprise=enterprise).status == ClaimStatus.OFFERED
    (notice,) = Notification.objects.filter(recipient=member)
    assert notice.kind == "policy.fits"
    assert notice.link == f"/claims/{Claim.objects.get(enterprise=enterprise).pk}/"
