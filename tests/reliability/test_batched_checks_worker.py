"""Claims handed to a real worker process in batches (subsidies.checkqueue): twenty
claimants at once through the real Redis and a real Celery worker, every claim decided
and paid exactly once, with nothing left waiting on the list."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from sandbox.treasury.models import TreasuryRecord
from subsidies import checkqueue
from subsidies.claims import submit_claim
from subsidies.models import Claim, ClaimStatus, LedgerEntry
from tests.factories import EnterpriseFactory, member_of

from ..subsidies.test_claims import officials_pair, policy  # noqa: F401 - fixtures

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_twenty_concurrent_claimants_are_each_paid_once(celery_worker_process, policy):  # noqa: F811
    claimants = [(enterprise, member_of(enterprise))
                 for enterprise in EnterpriseFactory.create_batch(20)]  # fmt: skip

    def claim(index: int) -> int:
        try:
            enterprise, member = claimants[index]
            made, _created = submit_claim(enterprise=enterprise, policy=policy, actor=member)
            return made.pk
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=20) as pool:
        ids = list(pool.map(claim, range(20)))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not Claim.objects.filter(pk__in=ids).exclude(status=ClaimStatus.PAID).exists():
            break
        time.sleep(0.2)
    statuses = dict(Claim.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert set(statuses.values()) == {ClaimStatus.PAID}, statuses
    assert TreasuryRecord.objects.count() == 20
    assert LedgerEntry.objects.count() == 40
    waiting, _pending = checkqueue._keys()
    assert checkqueue._redis().llen(waiting) == 0
