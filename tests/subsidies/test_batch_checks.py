"""Claims decided and paid together (services.check_many, issue #5's speed): each claim ends
as it would alone (decision, disbursement key, ledger, audit, outbox, notification), the
statements do not grow with the number of claims, the budget is never overspent, and
racing batches pay each claim once. On PostgreSQL, with real threads; the hand-over of
waiting claims (checkqueue) against the real Redis."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from datahub.models import DataCall
from qinqing.audit.models import AuditEvent
from qinqing.events.models import OutboxEvent
from qinqing.notifications.models import Notification
from sandbox.treasury.models import TreasuryRecord
from sandbox.treasury.simulation import SimulatedTreasury
from subsidies import checkqueue
from subsidies.gateway import GatewayError, OutcomeUnknown
from subsidies.models import (
    Budget,
    Claim,
    ClaimStatus,
    Disbursement,
    DisbursementStatus,
    LedgerEntry,
)
from subsidies.pipeline import check_many
from tests.factories import EnterpriseFactory, member_of

from .conftest import apply_policy  # noqa: F401 - fixtures
from .test_claims import officials_pair, policy  # noqa: F401 - fixtures

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def waiting_claims(of_policy, count: int, *, members: bool = False) -> list[Claim]:
    """Claims recorded and waiting for their check, as submit_claim leaves them."""
    claims = []
    for enterprise in EnterpriseFactory.create_batch(count):
        if members:
            member_of(enterprise)
        claims.append(Claim.objects.create(
            enterprise=enterprise, policy=of_policy, version=of_policy.versions.get(),
            period="2026", status=ClaimStatus.CHECKING, checks=1,
        ))  # fmt: skip
    return claims


def test_claims_decided_together_are_each_paid_once_with_their_own_records(policy):  # noqa: F811
    claims = waiting_claims(policy, 6, members=True)
    check_many([claim.pk for claim in claims])
    for claim in claims:
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.PAID
        assert claim.amount == Decimal("5000.00")
        assert [row["id"] for row in claim.decision["criteria"]] == ["staff", "active"]
        assert set(claim.facts) == {"hrss.insured_employees", "market.registration_status"}
        key = f"qinqing-claim-{claim.pk}"
        disbursement = Disbursement.objects.get(claim=claim)
        assert (disbursement.idempotency_key, disbursement.status) == (
            key, DisbursementStatus.CONFIRMED)  # fmt: skip
        assert disbursement.reference == TreasuryRecord.objects.get(key=key).reference
        legs = LedgerEntry.objects.filter(transaction=key)
        assert sum(leg.debit for leg in legs) == sum(leg.credit for leg in legs) == claim.amount
        trail = list(AuditEvent.objects.filter(object_type="subsidies.claim",
                                               object_id=str(claim.pk))
                     .order_by("pk").values_list("action", flat=True))  # fmt: skip
        assert trail == ["claim.eligible", "claim.paying", "claim.paid"]
        assert OutboxEvent.objects.filter(event_type="claim.paid",
                                          subject=f"claim:{claim.pk}").count() == 1  # fmt: skip
        assert Notification.objects.filter(link=f"/claims/{claim.pk}/").count() == 1
        # Each claim's department calls are logged under its own purpose.
        assert DataCall.objects.filter(purpose__startswith=f"subsidies.claim:{claim.pk} ",
                                       enterprise=claim.enterprise).count() == 2  # fmt: skip
    budget = Budget.objects.get(version=policy.versions.get())
    assert budget.reserved == budget.paid == Decimal("5000.00") * 6
    assert TreasuryRecord.objects.count() == 6 and LedgerEntry.objects.count() == 12


def test_the_statements_do_not_grow_with_the_claims_decided_together(policy):  # noqa: F811
    def statements(count: int) -> int:
        claims = waiting_claims(policy, count, members=True)
        with CaptureQueriesContext(connection) as queries:
            check_many([claim.pk for claim in claims])
        assert all(Claim.objects.get(pk=c.pk).status == ClaimStatus.PAID for c in claims)
        return len(queries)

    statements(2)  # the first claims open the budget account
    two, twelve = statements(2), statements(12)
    assert twelve == two, (two, twelve)


def test_claims_of_two_policies_in_one_batch_each_follow_their_policy(policy, apply_policy):  # noqa: F811
    automatic = waiting_claims(policy, 3)
    reviewed = waiting_claims(apply_policy, 2)
    check_many([claim.pk for claim in reviewed + automatic])
    assert {Claim.objects.get(pk=c.pk).status for c in automatic} == {ClaimStatus.PAID}
    assert {Claim.objects.get(pk=c.pk).status for c in reviewed} == {ClaimStatus.IN_REVIEW}
    assert TreasuryRecord.objects.count() == 3


def test_a_budget_short_for_the_batch_goes_to_the_first_claims_exactly(policy):  # noqa: F811
    version = policy.versions.get()
    Budget.objects.create(version=version, total=Decimal("5000.00") * 3)
    claims = waiting_claims(policy, 7)
    check_many([claim.pk for claim in claims])
    statuses = [Claim.objects.get(pk=claim.pk).status for claim in claims]
    assert statuses == [ClaimStatus.PAID] * 3 + [ClaimStatus.BUDGET_EXHAUSTED] * 4
    budget = Budget.objects.get(version=version)
    assert budget.reserved == budget.total == budget.paid
    assert Disbursement.objects.count() == TreasuryRecord.objects.count() == 3
    # The claim's own trail (a disbursement's events may carry the same id).
    exhausted = AuditEvent.objects.filter(
        object_type=Claim._meta.label_lower, object_id=str(claims[-1].pk)
    ).order_by("pk")
    assert list(exhausted.values_list("action", flat=True)) == [
        "claim.eligible", "claim.budget_exhausted"]  # fmt: skip


def test_racing_batches_over_the_same_claims_pay_each_once(policy):  # noqa: F811
    """Eight workers handed overlapping sets of the same twelve claims at once (duplicate
    deliveries, a sweep racing the hand-over): every claim paid, each exactly once."""
    claims = waiting_claims(policy, 12)
    ids = [claim.pk for claim in claims]
    barrier = threading.Barrier(8)

    def run(index: int) -> None:
        barrier.wait()
        try:
            check_many(ids[index % 4 :] + ids[: index % 4])
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(run, range(8)))
    assert {Claim.objects.get(pk=pk).status for pk in ids} == {ClaimStatus.PAID}
    assert TreasuryRecord.objects.count() == 12
    assert LedgerEntry.objects.count() == 24
    assert OutboxEvent.objects.filter(event_type="claim.paid").count() == 12
    budget = Budget.objects.get(version=policy.versions.get())
    assert budget.reserved == budget.paid == Decimal("5000.00") * 12


def test_a_budget_for_n_claims_pays_exactly_n_across_racing_batches(policy):  # noqa: F811
    n = 4
    version = policy.versions.get()
    Budget.objects.create(version=version, total=Decimal("5000.00") * n)
    claims = waiting_claims(policy, 5 * n)
    ids = [claim.pk for claim in claims]
    barrier = threading.Barrier(5)

    def run(index: int) -> None:
        barrier.wait()
        try:
            check_many(ids[index::5])
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=5) as pool:
        list(pool.map(run, range(5)))
    statuses = [Claim.objects.get(pk=pk).status for pk in ids]
    assert statuses.count(ClaimStatus.PAID) == n
    assert statuses.count(ClaimStatus.BUDGET_EXHAUSTED) == 4 * n
    budget = Budget.objects.get(version=version)
    assert budget.reserved == budget.paid == budget.total
    assert TreasuryRecord.objects.count() == n


def test_a_lost_answer_for_the_payment_file_is_settled_by_asking(policy, monkeypatch):  # noqa: F811
    real_pay_many = SimulatedTreasury.pay_many
    files = []

    def pay_but_lose_the_answer(self, orders, **kwargs):
        files.append([order.key for order in orders])
        real_pay_many(self, orders, **kwargs)
        raise OutcomeUnknown("the line dropped")

    monkeypatch.setattr(SimulatedTreasury, "pay_many", pay_but_lose_the_answer)
    claims = waiting_claims(policy, 4)
    check_many([claim.pk for claim in claims])
    assert {Claim.objects.get(pk=c.pk).status for c in claims} == {ClaimStatus.PAID}
    assert len(files) == 1 and TreasuryRecord.objects.count() == 4
    assert LedgerEntry.objects.count() == 8


def test_an_unreachable_treasury_leaves_each_payment_to_its_task(policy, monkeypatch):  # noqa: F811
    def down(self, orders, **kwargs):
        raise GatewayError("the treasury is unavailable")

    queued = []
    monkeypatch.setattr(SimulatedTreasury, "pay_many", down)
    monkeypatch.setattr("subsidies.tasks.pay_claim.delay", queued.append)
    claims = waiting_claims(policy, 3)
    check_many([claim.pk for claim in claims])
    assert sorted(queued) == [claim.pk for claim in claims]
    assert {Claim.objects.get(pk=c.pk).status for c in claims} == {ClaimStatus.PAYING}
    assert set(Disbursement.objects.values_list("status", flat=True)) == {
        DisbursementStatus.PENDING}  # fmt: skip
    assert TreasuryRecord.objects.count() == 0


@pytest.fixture
def check_list(settings, monkeypatch):
    """checkqueue on the real Redis, under a queue name of this test's own; the check
    tasks it would queue are recorded (their slots), not run."""
    from qinqing.celery import app

    settings.CELERY_TASK_DEFAULT_QUEUE = f"test-checks-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    queued = []
    monkeypatch.setattr("subsidies.tasks.check_waiting_claims.delay", queued.append)
    yield queued
    waiting, slots = checkqueue._keys()
    checkqueue._redis().delete(waiting, *slots)


@pytest.mark.redis
def test_a_task_is_queued_while_a_slot_is_free_and_gives_it_back_when_done(check_list):
    for claim_id in range(1, checkqueue.IN_FLIGHT + 3):
        checkqueue.enqueue(claim_id)
    # The first claims each started a task (one per slot); the rest wait for a look.
    assert check_list == list(range(checkqueue.IN_FLIGHT))
    assert checkqueue.take(0, 32) == list(range(1, checkqueue.IN_FLIGHT + 3))
    assert checkqueue.take(0, 32) == []  # nothing left: slot 0 is free again
    checkqueue.enqueue(99)
    assert check_list[-1] == 0
    assert checkqueue.kick() is None  # every slot busy: nothing to do
    for slot in range(checkqueue.IN_FLIGHT):
        while checkqueue.take(slot, 32):  # the tasks work the list, then give their slots back
            pass
    assert checkqueue.kick() is None  # nothing waits
    checkqueue._redis().rpush(checkqueue._keys()[0], 7)  # a claim whose task was lost
    assert checkqueue.kick() == 0 and check_list[-1] == 0


@pytest.mark.redis
def test_a_task_works_the_list_until_it_is_empty(check_list):
    for claim_id in (1, 2, 3, 4, 5):
        checkqueue.enqueue(claim_id)
    decided: list[list[int]] = []
    assert checkqueue.work(0, 2, decided.append) == 5
    assert decided == [[1, 2], [3, 4], [5]]
    checkqueue.enqueue(6)  # slot 0 was given back: this claim starts a task on it
    assert check_list[-1] == 0


@pytest.mark.redis
def test_racing_takers_get_every_waiting_claim_exactly_once(check_list):
    ids = list(range(1, 401))
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(checkqueue.enqueue, ids))
    taken: list[int] = []
    lock = threading.Lock()

    def drain(slot: int) -> None:
        while batch := checkqueue.take(slot % checkqueue.IN_FLIGHT, 7):
            with lock:
                taken.extend(batch)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(drain, range(8)))
    assert sorted(taken) == ids


@pytest.mark.redis
def test_a_task_that_fails_gives_its_slot_back_for_the_others(check_list):
    for claim_id in (1, 2, 3):
        checkqueue.enqueue(claim_id)

    def broken(claim_ids):
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        checkqueue.work(0, 1, broken)
    # Claim 1 is left to due_rechecks(); slot 0 was given back and taken again at once
    # for claims 2 and 3, by a task of its own.
    assert check_list[-1] == 0
    assert checkqueue.take(0, 32) == [2, 3]
