"""Policy push: publishing a version tells the members of exactly the enterprises it fits
(the same batch evaluation that makes the offers), once."""

import pytest

from directline.models import PolicyPush
from directline.services.policy_push import push_policy
from enterprises.models import EnterpriseStatus
from policies.models import DeliveryMode
from qinqing.notifications.models import Notification
from subsidies.models import Claim
from tests.factories import EnterpriseFactory, member_of

from ..subsidies.test_batch import publish
from ..subsidies.test_claims import officials_pair  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)


def test_push_reaches_the_members_of_exactly_the_qualifying_enterprises(officials_pair):  # noqa: F811
    closed = EnterpriseFactory(status=EnterpriseStatus.DEREGISTERED)
    closed_member = member_of(closed)
    version = publish(DeliveryMode.CONFIRM, officials_pair)
    qualifying = set(Claim.objects.filter(version=version).values_list("enterprise_id", flat=True))
    assert qualifying  # the batch offered some…
    from enterprises.models import Enterprise

    everyone = set(Enterprise.objects.values_list("pk", flat=True))
    assert qualifying < everyone  # …and not every enterprise
    # Members added after publication are told by a later push only; make members now and
    # push again by hand (the push on publication found no members).
    push = PolicyPush.objects.get(version=version)
    assert push.recipients == 0 and push.enterprises == len(qualifying)
    members = {
        enterprise_id: member_of(Enterprise.objects.get(pk=enterprise_id))
        for enterprise_id in everyone - {closed.pk}
    }
    push.delete()
    assert push_policy(version.pk) == len(qualifying)
    told = set(
        Notification.objects.filter(kind="policy.push").values_list("recipient_id", flat=True)
    )
    assert told == {members[enterprise_id].pk for enterprise_id in qualifying}
    assert closed_member.pk not in told
    notification = Notification.objects.filter(kind="policy.push").first()
    assert notification.link == f"/policies/{version.policy.code}/"
    assert "¥" in notification.body
    # Delivered twice, the task tells nobody twice.
    assert push_policy(version.pk) == 0
    assert Notification.objects.filter(kind="policy.push").count() == len(qualifying)
