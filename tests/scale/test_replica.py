"""Reads on the streaming standby (issue #25, qinqing/dbrouting.py).

With the standby's replay paused, what the primary has just committed is not on the
standby: a page that answers without it read from the standby, a page that shows it read
from the primary. That is how these tests tell which server a page read from.
"""

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from policies.models import Policy
from qinqing.dbrouting import REPLICA, ReplicaRouter, _use_replica
from subsidies.models import Claim
from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of

from ..subsidies.test_claims import officials_pair, policy  # noqa: F401 - fixtures
from .conftest import wait_for_standby, wait_for_standby_database

DATABASES = ["default", REPLICA] if REPLICA in settings.DATABASES else ["default"]
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.replica,
    pytest.mark.django_db(transaction=True, databases=DATABASES),
]


def test_the_replica_connection_is_a_standby_in_recovery():
    wait_for_standby_database()
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("select pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True
    with connections["default"].cursor() as cursor:
        cursor.execute("select pg_is_in_recovery()")
        assert cursor.fetchone()[0] is False


def test_the_public_policy_page_reads_from_the_standby(client, policy, pause_standby):  # noqa: F811
    pause_standby()
    page = client.get(reverse("policies:detail", args=[policy.code]))
    assert page.status_code == 200  # replayed before the pause
    Policy.objects.filter(pk=policy.pk).update(code="renamed-while-paused")
    # The primary has the new code; the standby, paused, still has the old one.
    assert client.get(reverse("policies:detail", args=["renamed-while-paused"])).status_code == 404
    assert client.get(reverse("policies:detail", args=[policy.code])).status_code == 200


def test_dashboards_and_api_lists_query_the_standby(client, api_client, policy):  # noqa: F811
    official = OfficialFactory(department=department("hrss"), district=None)
    wait_for_standby()
    client.force_login(official)
    api_client.force_authenticate(official)
    for get in (
        lambda: client.get(reverse("dashboards:overview")),
        lambda: client.get(reverse("subsidies:claims")),
        lambda: api_client.get("/api/v1/claims/"),
        lambda: api_client.get("/api/v1/policies/"),
    ):
        with CaptureQueriesContext(connections[REPLICA]) as on_standby:
            response = get()
        assert response.status_code == 200
        assert len(on_standby) > 0, response.request["PATH_INFO"]


def test_the_claim_page_right_after_claiming_shows_the_claim(client, policy, pause_standby):  # noqa: F811
    enterprise = EnterpriseFactory()
    claimant = member_of(enterprise)
    pause_standby()
    client.force_login(claimant)
    response = client.post(reverse("subsidies:make_claim", args=[policy.code]),
                           {"uscc": enterprise.uscc})  # fmt: skip
    claim = Claim.objects.get(enterprise=enterprise)
    assert response["Location"] == reverse("subsidies:claim", args=[claim.pk])
    # The writer's next pages read from the primary: the claim is there.
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and page.context["claim"].pk == claim.pk
    # The same person in another browser (no mark of a recent write) reads the standby,
    # which has not replayed the claim yet.
    other_browser = Client()
    other_browser.force_login(claimant)
    assert other_browser.get(response["Location"]).status_code == 404


def test_reads_inside_a_transaction_stay_on_the_primary():
    router = ReplicaRouter()
    token = _use_replica.set(True)
    try:
        assert router.db_for_read(Policy) == REPLICA
        with transaction.atomic():
            assert router.db_for_read(Policy) is None
        assert router.db_for_read(Session) is None
    finally:
        _use_replica.reset(token)
