"""The instant path's statements, counted (issue #24): a partner system's claim (POST with
an Idempotency-Key) and its poll, as the web tier runs them. A ceiling for each, so that a
change adding statements to every claim shows here; the figures themselves are measured
by `make bench-claims` (bench/claims.py)."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enterprises.models import EnterpriseMembership
from policies.models import DeliveryMode
from tests.factories import EnterpriseFactory, OfficialFactory, department
from tests.partners_support import partner_api_client

from .conftest import policy_for_everyone

# The token and its client binding come from the shared cache once verified (none); the
# key taken (1); the enterprise with the caller's membership (1); the policy with its open
# version (1); its targeting (1); the claim and its audit event (4: BEGIN, 2 INSERTs,
# COMMIT); the key's answer kept (1). Was 20, then 10.
POST_STATEMENTS = 9
# The claim with its payment (1). Was 2 (the token's).
POLL_STATEMENTS = 1


@pytest.fixture(autouse=True)
def token_cache(monkeypatch):
    """As in production, where the cache is Redis: verified tokens are kept (it is off
    with a per-process cache, which the suite may run with)."""
    monkeypatch.setattr("partners.oauth.token_cache_seconds", lambda: 60)


@pytest.fixture
def automatic_policy(reference_data):
    EnterpriseFactory.create_batch(2)  # the extracts need someone to cover
    return policy_for_everyone(
        code="instant", title="即时", benefit_type="award",
        author=OfficialFactory(department=department("hrss"), district=None),
        approver=OfficialFactory(department=department("hrss"), district=None),
        mode=DeliveryMode.AUTOMATIC,
    )  # fmt: skip


def test_a_partner_claim_and_its_poll_take_a_handful_of_statements(automatic_policy,
                                                                     monkeypatch):  # fmt: skip
    from qinqing.celery import app as celery_app

    # As in production: the check is a worker's (its hand-off recorded here, not run).
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    queued: list[int] = []
    monkeypatch.setattr("subsidies.checkqueue.enqueue", queued.append)
    warm_up, enterprise = EnterpriseFactory(), EnterpriseFactory()
    client, partner = partner_api_client(scopes=["claims:read", "claims:write"],
                                         enterprise=warm_up)  # fmt: skip
    EnterpriseMembership.objects.create(enterprise=enterprise, user=partner.service_user,
                                        role="agent")  # fmt: skip
    for uscc in (warm_up.uscc, enterprise.uscc):
        with CaptureQueriesContext(connection) as post:
            answer = client.post("/api/v1/claims/", {"policy": "instant", "uscc": uscc},
                                 format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)  # fmt: skip
        assert answer.status_code == 201, answer.content
    with CaptureQueriesContext(connection) as poll:
        polled = client.get(f"/api/v1/claims/{answer.json()['id']}/")

    assert polled.status_code == 200
    assert polled.json()["status"] == "checking"
    assert queued == [answer.json()["id"] - 1, answer.json()["id"]]
    statements = [query["sql"][:120] for query in post.captured_queries]
    assert len(statements) <= POST_STATEMENTS, "\n".join(statements)
    statements = [query["sql"][:120] for query in poll.captured_queries]
    assert len(statements) <= POLL_STATEMENTS, "\n".join(statements)


def test_a_repeated_claim_answers_the_first_without_loading_it_piecemeal(automatic_policy,
                                                                         monkeypatch):  # fmt: skip
    monkeypatch.setattr("subsidies.checkqueue.enqueue", lambda claim_id: None)
    enterprise = EnterpriseFactory()
    client, _partner = partner_api_client(scopes=["claims:read", "claims:write"],
                                          enterprise=enterprise)  # fmt: skip
    body = {"policy": "instant", "uscc": enterprise.uscc}
    first = client.post("/api/v1/claims/", body, format="json")
    with CaptureQueriesContext(connection) as again:
        second = client.post("/api/v1/claims/", body, format="json")

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    assert len(again.captured_queries) <= POST_STATEMENTS
