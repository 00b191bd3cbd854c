"""A worker process dies between the treasury's payment and the database update: the
claim is not lost, and reconciliation settles it with exactly one payment."""

import time
import uuid
from decimal import Decimal

import pytest

from qinqing.worker_process import ROOT, database_url_for_current_connection, running_worker
from sandbox.treasury.models import TreasuryRecord
from subsidies.models import (
    Budget,
    Claim,
    ClaimStatus,
    Disbursement,
    DisbursementStatus,
    LedgerEntry,
)
from subsidies.reconciliation import reconcile
from subsidies.tasks import pay_claim
from tests.factories import EnterpriseFactory

from ..subsidies.test_claims import officials_pair, policy  # noqa: F401 - fixtures

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_killed_after_paying_is_reconciled_to_one_payment(policy):  # noqa: F811
    enterprise = EnterpriseFactory()
    version = policy.versions.get()
    Budget.objects.create(version=version, total=version.budget, reserved=Decimal("5000.00"))
    claim = Claim.objects.create(enterprise=enterprise, policy=policy, version=version,
                                 period="2026", status=ClaimStatus.PAYING,
                                 amount=Decimal("5000.00"))  # fmt: skip
    Disbursement.objects.create(claim=claim, idempotency_key=f"qinqing-claim-{claim.pk}",
                                amount=Decimal("5000.00"), bank_name=enterprise.bank_name,
                                bank_account=enterprise.bank_account)  # fmt: skip
    queue = f"faulty-{uuid.uuid4().hex[:8]}"
    with running_worker(
        database_url=database_url_for_current_connection(), settings_module="tests.settings",
        log_path=ROOT / "var" / "test-faulty-worker.log", queue=queue, wait=False,
        extra_env={"QINQING_FAULT": "after_treasury_call"},
    ) as process:  # fmt: skip
        pay_claim.apply_async(args=[claim.pk], queue=queue)
        deadline = time.monotonic() + 40
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert process.returncode == 137, "the worker should have died at the fault point"

    # The treasury paid; the portal never heard: not paid, not failed, not lost.
    assert TreasuryRecord.objects.count() == 1
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAYING
    assert Disbursement.objects.get(claim=claim).status == DisbursementStatus.SENT

    assert reconcile().problems == []
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert TreasuryRecord.objects.count() == 1
    assert LedgerEntry.objects.filter(claim=claim).count() == 2
    assert Budget.objects.get(version=version).paid == Decimal("5000.00")
