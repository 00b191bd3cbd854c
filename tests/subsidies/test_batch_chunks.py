"""A batch chunk decided and paid by one task, over plain values (issue #24): paid by the
task that decided it, paid on redelivery when its first worker died after deciding, its
notices written by one INSERT … SELECT, the treasury's file booked once per key."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policies.models import DeliveryMode
from qinqing.bulk import insert_values
from qinqing.notifications.models import Notification, NotificationPreference
from sandbox.treasury.models import TreasuryRecord
from sandbox.treasury.simulation import SimulatedTreasury
from subsidies import batch
from subsidies.gateway import PaymentOrder
from subsidies.models import BatchChunk, BatchRun, Claim, ClaimStatus, LedgerEntry
from subsidies.notification_kinds import NotificationKind
from subsidies.notifications import notify_claims
from subsidies.selectors import claims_of
from tests.factories import EnterpriseFactory, member_of

from .test_batch import publish
from .test_claims import officials_pair  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)


def _new_chunk(version) -> tuple[BatchRun, list[int]]:
    """A run's next chunk of fresh enterprises (the run made its own chunks already)."""
    run = BatchRun.objects.get(version=version)
    fresh = EnterpriseFactory.create_batch(3)
    return run, [enterprise.pk for enterprise in fresh]


def test_a_chunk_is_paid_by_the_task_that_decides_it(officials_pair, monkeypatch):  # noqa: F811
    version = publish(DeliveryMode.AUTOMATIC, officials_pair)
    run, ids = _new_chunk(version)
    queued = []
    monkeypatch.setattr(batch, "queue", lambda name, *args: queued.append(name))
    assert batch.decide_chunk(run.pk, 50, ids, [123_45] * len(ids)) == 3
    claims = Claim.objects.filter(enterprise_id__in=ids)
    assert set(claims.values_list("status", flat=True)) == {ClaimStatus.PAID}
    assert batch.PAY_TASK not in queued  # no second task: deciding and paying overlap
    chunk = BatchChunk.objects.get(run=run, number=50)
    assert (chunk.paying, chunk.paid, chunk.paid_at is not None) == (3, 3, True)
    assert LedgerEntry.objects.filter(claim__in=claims).count() == 6
    assert TreasuryRecord.objects.filter(amount=Decimal("123.45")).count() == 3


def test_a_chunk_whose_worker_died_after_deciding_is_paid_on_redelivery(
    officials_pair,  # noqa: F811
    monkeypatch,
):
    version = publish(DeliveryMode.AUTOMATIC, officials_pair)
    run, ids = _new_chunk(version)
    with monkeypatch.context() as patched:  # the worker dies right after the commit
        patched.setattr(batch, "_after_decided", lambda *args: None)
        assert batch.decide_chunk(run.pk, 51, ids, [100_00] * len(ids)) == 3
    claims = Claim.objects.filter(enterprise_id__in=ids)
    assert set(claims.values_list("status", flat=True)) == {ClaimStatus.PAYING}
    assert batch.decide_chunk(run.pk, 51, ids, [100_00] * len(ids)) == 0  # redelivered
    assert set(claims.values_list("status", flat=True)) == {ClaimStatus.PAID}
    assert claims.count() == 3
    keys = [f"qinqing-claim-{pk}" for pk in claims.values_list("pk", flat=True)]
    assert TreasuryRecord.objects.filter(key__in=keys).count() == 3
    assert BatchChunk.objects.get(run=run, number=51).paid_at is not None


def test_nobody_to_tell_costs_one_statement_and_loads_nothing(officials_pair):  # noqa: F811
    version = publish(DeliveryMode.AUTOMATIC, officials_pair)
    claims = list(Claim.objects.filter(version=version).values_list("pk", flat=True))
    assert claims
    with CaptureQueriesContext(connection) as statements:
        made = notify_claims(claims, ClaimStatus.PAID)
    assert len(statements) == 1 and "INSERT INTO" in statements[0]["sql"]
    assert not made.exists()


def test_claim_notices_follow_each_members_preferences(officials_pair):  # noqa: F811
    version = publish(DeliveryMode.AUTOMATIC, officials_pair)
    claim = Claim.objects.filter(version=version, status=ClaimStatus.PAID).first()
    told, silent, portal_only = (member_of(claim.enterprise) for _ in range(3))
    NotificationPreference.objects.create(user=silent, kind=NotificationKind.CLAIM_PAID,
                                          in_app=False, email=False)  # fmt: skip
    NotificationPreference.objects.create(user=portal_only, kind=NotificationKind.CLAIM_PAID,
                                          in_app=True, email=False)  # fmt: skip
    Notification.objects.all().delete()
    made = {row.recipient_id: row for row in notify_claims([claim.pk], ClaimStatus.PAID)}
    assert set(made) == {told.pk, portal_only.pk}
    row = made[told.pk]
    assert f"¥{claim.amount:,.2f}" in row.title and f"¥{claim.amount:,.2f}" in row.title_en
    assert "免申即享" in row.title and "Without applying" in row.title_en
    assert claim.enterprise.name in row.body and row.link == f"/claims/{claim.pk}/"


def test_the_treasury_books_a_file_once_per_key():
    treasury = SimulatedTreasury()
    orders = [PaymentOrder(f"key-{n}", Decimal("10.00"), "6222") for n in range(150)]
    first = treasury.pay_many(orders)
    again = treasury.pay_many(orders)
    assert TreasuryRecord.objects.count() == 150
    assert [r.reference for r in first] == [r.reference for r in again]
    changed = treasury.pay_many([PaymentOrder("key-0", Decimal("11.00"), "6222")])
    assert changed[0].status == "refused"


def test_plain_values_go_in_with_their_defaults_and_ids():
    rows = [(f"t-{n}", "acct", Decimal("1.00"), Decimal("0.00")) for n in range(120)]
    ids = insert_values(LedgerEntry, ["transaction", "account", "debit", "credit"], rows)
    assert len(ids) == 120 and len(set(ids)) == 120
    entries = LedgerEntry.objects.filter(pk__in=ids).order_by("pk")
    assert [e.transaction for e in entries] == [f"t-{n}" for n in range(120)]
    assert all(e.created_at and e.claim_id is None for e in entries)


def test_claims_of_reads_by_the_ids_alone_and_keeps_one_policy_and_period(officials_pair):  # noqa: F811
    """The statistics pitfall's cure (subsidies.selectors.claims_of): the claims of some
    enterprises found by their ids only (no policy nor period beside them in SQL, where
    a batch's new policy would mislead the planner), the policy and period kept here."""
    version = publish(DeliveryMode.AUTOMATIC, officials_pair)
    first, second = EnterpriseFactory.create_batch(2)
    fields = {"policy": version.policy, "version": version, "status": ClaimStatus.INELIGIBLE}
    kept = Claim.objects.create(enterprise=first, period="2026", **fields)
    Claim.objects.create(enterprise=second, period="2025", **fields)  # another period
    with CaptureQueriesContext(connection) as queries:
        found = claims_of("enterprise_id", [first.pk, second.pk], policy_id=version.policy_id,
                          period="2026", fields=("pk", "enterprise_id", "status"))  # fmt: skip
    assert found == [(kept.pk, first.pk, ClaimStatus.INELIGIBLE)]
    (query,) = queries.captured_queries
    where = query["sql"].split("WHERE", 1)[1]
    assert "enterprise_id" in where and "policy_id" not in where and "period" not in where
    assert claims_of("enterprise_id", [first.pk], policy_id=version.policy_id + 1,
                     period="2026", fields=("pk",)) == []  # fmt: skip
