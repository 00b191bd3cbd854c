"""Re-evaluation racing the publish-time batch run, for real, on PostgreSQL: the run's
chunks are delivered in one thread while the department's changed extract arrives in
another. No double payment, no re-evaluation lost, whichever comes first."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.db.models import Count

from sandbox.treasury.models import TreasuryRecord
from subsidies import batch
from subsidies.models import BatchRun, Claim, Disbursement, Reevaluation, ReevaluationRun
from tests.factories import EnterpriseFactory

from .test_claims import officials_pair  # noqa: F401 - fixture
from .test_reevaluation import paid_to, publish, refresh, staff_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("repeat", range(3))
def test_a_correction_racing_the_batch_run_pays_once_and_is_not_lost(officials_pair, repeat):  # noqa: F811
    from policies.models import DeliveryMode

    enterprises = EnterpriseFactory.create_batch(10)
    ids = [e.pk for e in enterprises]
    held: list[tuple] = []
    real_queue = batch.queue

    def hold_chunks(name, *args):
        if name == batch.DECIDE_TASK:
            held.append(args)
            return True
        return real_queue(name, *args)

    before = {pk: 20 for pk in ids[:5]}
    after = {pk: 20 for pk in ids[2:9]}  # 0 and 1 stop qualifying, 5 to 8 start
    with pytest.MonkeyPatch.context() as patches:
        patches.setattr(batch, "queue", hold_chunks)
        with staff_of(patches, before):
            refresh()
            version = publish(DeliveryMode.AUTOMATIC, officials_pair)
    assert held and BatchRun.objects.get(version=version).status == BatchRun.Status.RUNNING
    barrier = threading.Barrier(2)

    def deliver_chunks():
        barrier.wait()
        try:
            for args in held:
                batch.decide_chunk(*args)
        finally:
            connections.close_all()

    def correction_arrives():
        barrier.wait()
        try:
            refresh("hrss")
        finally:
            connections.close_all()

    with (
        pytest.MonkeyPatch.context() as patches,
        staff_of(patches, after),
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        for future in [pool.submit(deliver_chunks), pool.submit(correction_arrives)]:
            future.result()
    # Paid on the old facts (0 to 4) by the run, and on the new ones (5 to 8) by the
    # re-evaluation: every one once.
    assert paid_to(version) == sorted(ids[:9])
    assert TreasuryRecord.objects.count() == 9 and Disbursement.objects.count() == 9
    doubles = (Claim.objects.values("enterprise_id", "policy_id", "period")
               .annotate(n=Count("id")).filter(n__gt=1))  # fmt: skip
    assert not doubles.exists()
    change = Reevaluation.objects.get()
    assert change.finished_at is not None
    assert not ReevaluationRun.objects.filter(waiting=True).exists()
