"""Policy push: publishing an apply-mode version tells the members of exactly the
enterprises it fits and that hold nothing under it yet, once. Automatic and confirm
versions are not pushed: their batch run pays or offers, and that notice is the one."""

import pytest
from django.utils import timezone

from directline.models import PolicyPush
from directline.services.policy_push import push_policy, qualifying_enterprises
from enterprises.models import Enterprise, EnterpriseStatus
from policies.models import DeliveryMode
from qinqing.notifications.models import Notification
from subsidies.claims import period_key
from subsidies.models import Claim, ClaimStatus
from tests.factories import EnterpriseFactory, member_of

from ..subsidies.test_batch import publish
from ..subsidies.test_claims import officials_pair  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)


def test_push_reaches_the_members_of_exactly_the_qualifying_enterprises(officials_pair):  # noqa: F811
    closed = EnterpriseFactory(status=EnterpriseStatus.DEREGISTERED)
    closed_member = member_of(closed)
    version = publish(DeliveryMode.APPLY, officials_pair)
    qualifying = {enterprise_id for enterprise_id, _amount in qualifying_enterprises(version)}
    everyone = set(Enterprise.objects.values_list("pk", flat=True))
    assert qualifying and qualifying < everyone  # some, not every enterprise
    # Members added after publication are told by a later push only; make members now and
    # push again by hand (the push on publication found no members).
    push = PolicyPush.objects.get(version=version)
    assert push.recipients == 0 and push.enterprises == len(qualifying)
    members = {
        enterprise_id: member_of(Enterprise.objects.get(pk=enterprise_id))
        for enterprise_id in everyone - {closed.pk}
    }
    # One qualifying enterprise claimed already: it is not invited to claim again.
    claimed = min(qualifying)
    Claim.objects.create(enterprise_id=claimed, policy=version.policy, version=version,
                         period=period_key(version, timezone.localdate()),
                         status=ClaimStatus.IN_REVIEW)  # fmt: skip
    push.delete()
    assert push_policy(version.pk) == len(qualifying) - 1
    told = set(
        Notification.objects.filter(kind="policy.fits").values_list("recipient_id", flat=True)
    )
    assert told == {members[enterprise_id].pk for enterprise_id in qualifying - {claimed}}
    assert closed_member.pk not in told
    notification = Notification.objects.filter(kind="policy.fits").first()
    assert notification.link == f"/policies/{version.policy.code}/"
    assert "¥" in notification.body
    # Delivered twice, the task tells nobody twice.
    assert push_policy(version.pk) == 0
    assert Notification.objects.filter(kind="policy.fits").count() == len(qualifying) - 1


@pytest.mark.parametrize("mode", [DeliveryMode.AUTOMATIC, DeliveryMode.CONFIRM])
def test_paid_or_offered_policies_are_not_pushed(officials_pair, mode):  # noqa: F811
    version = publish(mode, officials_pair)
    assert Claim.objects.filter(version=version).exists()  # the batch paid or offered
    for enterprise in Enterprise.objects.all():
        member_of(enterprise)
    assert push_policy(version.pk) == 0
    assert not PolicyPush.objects.filter(version=version).exists()
    assert not Notification.objects.filter(title__contains="有适合贵企业的政策").exists()
