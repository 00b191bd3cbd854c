"""Work the database says is owed and no queue may hold: queued again (issue #19).

The row is the record of work owed. A task that could not be queued (the broker was down
when the claim was made, the payment approved or the version published; qinqing/queueing.py
logs it and lets the request finish) leaves its row waiting:
- a claim still "checking" some seconds after it was made (a check takes about one);
- a payment never sent ("pending" disbursement of a claim being paid);
- a published automatic or confirm version without its batch run.
Beat runs this every OWED_WORK_SECONDS (15 s), so such work starts within about 30 s of
the broker's return instead of waiting for the ten-minute "stuck" rule.

Cheap: each query reads a bounded, indexed slice (claims by their created_at index, the
latest disbursements by primary key, the few published versions). Safe to run twice: a
claim decided meanwhile is skipped by the pipeline under its row lock (pipeline._record),
a payment keeps its idempotency key (payments.pay_claims), and a batch run is one row per
version (batch.start). What was queued is remembered in the cache for REQUEUE_AFTER, so a
claim waiting behind a long queue is not queued again every 15 s.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone

from policies.models import PolicyVersion, VersionStatus
from qinqing.queueing import queue

from . import checkqueue, reevaluation
from .batch import BATCH_MODES, RESUME_TASK, START_TASK
from .models import Claim, ClaimStatus, Disbursement, DisbursementStatus
from .payments import PAY_TASK
from .pipeline import CHECK_BATCH
from .reevaluation import REEVALUATE_TASK

CHECKS_TASK = "subsidies.tasks.check_claims"
# Older than this, a claim still checking has lost its task (a check takes about 1 s).
GRACE = timedelta(seconds=20)
# Claims checking for longer are put back by pipeline.due_rechecks (its ten-minute rule).
HORIZON = timedelta(minutes=15)
# How many of the latest disbursements are looked at for one never sent.
PAYMENT_WINDOW = 5000
# Versions published longer ago are not started by this sweep (an old database's versions
# published before batch runs existed must not start paying by surprise).
VERSION_HORIZON = timedelta(hours=6)
# Work queued by this sweep is not queued again before this long (unless queueing failed).
REQUEUE_AFTER = 120
MOST_PER_SWEEP = 5000


def queue_owed_work(now: datetime | None = None) -> dict[str, int]:
    """Queue what is owed; returns how many of each kind were queued."""
    now = now or timezone.now()
    checks = _fresh("check", owed_checks(now))
    for begin in range(0, len(checks), CHECK_BATCH):
        _queue_or_forget("check", checks[begin : begin + CHECK_BATCH], CHECKS_TASK)
    payments = _fresh("pay", owed_payments(now))
    for claim_id in payments:
        _queue_or_forget("pay", [claim_id], PAY_TASK, claim_id)
    versions = _fresh("batch", versions_without_run(now))
    for version_id in versions:
        _queue_or_forget("batch", [version_id], START_TASK, version_id)
    unstarted, waiting = reevaluation.owed(now)
    unstarted = _fresh("reevaluate", unstarted)
    for reevaluation_id in unstarted:
        _queue_or_forget("reevaluate", [reevaluation_id], REEVALUATE_TASK, reevaluation_id)
    waiting = _fresh("resume", waiting)
    for version_id in waiting:
        _queue_or_forget("resume", [version_id], RESUME_TASK, version_id)
    checkqueue.kick()  # claims on the check list whose task was lost
    return {"checks": len(checks), "payments": len(payments), "batch_runs": len(versions),
            "reevaluations": len(unstarted) + len(waiting)}  # fmt: skip


def owed_checks(now: datetime) -> list[int]:
    return list(
        Claim.objects.filter(
            created_at__gte=now - HORIZON, created_at__lt=now - GRACE,
            status=ClaimStatus.CHECKING,
        ).order_by("pk").values_list("pk", flat=True)[:MOST_PER_SWEEP]
    )  # fmt: skip


def owed_payments(now: datetime) -> list[int]:
    """Claims being paid whose disbursement was never sent, among the latest ones (those
    further back are the stalled-payment sweep's, payments.resume_stalled_payments)."""
    floor = Disbursement.objects.order_by("-pk").values_list("pk", flat=True)
    lowest = floor[PAYMENT_WINDOW - 1 : PAYMENT_WINDOW].first() or 0
    return list(
        Disbursement.objects.filter(
            pk__gte=lowest, status=DisbursementStatus.PENDING,
            claim__status=ClaimStatus.PAYING, created_at__lt=now - GRACE,
        ).order_by("pk").values_list("claim_id", flat=True)[:MOST_PER_SWEEP]
    )  # fmt: skip


def versions_without_run(now: datetime) -> list[int]:
    return list(
        PolicyVersion.objects.filter(
            status=VersionStatus.PUBLISHED, policy__delivery_mode__in=BATCH_MODES,
            batch_run__isnull=True, published_at__lt=now - GRACE,
            published_at__gte=now - VERSION_HORIZON,
        ).order_by("pk").values_list("pk", flat=True)
    )  # fmt: skip


def _key(kind: str, pk: int) -> str:
    return f"qinqing:owed:{kind}:{pk}"


def _fresh(kind: str, ids: list[int]) -> list[int]:
    """Those not queued by this sweep in the last REQUEUE_AFTER seconds (marked now)."""
    return [pk for pk in ids if cache.add(_key(kind, pk), 1, timeout=REQUEUE_AFTER)]


def _queue_or_forget(kind: str, ids: list[int], task: str, *args: object) -> None:
    """Queue; if the broker is still away, forget the marks so the next sweep tries."""
    if not queue(task, *(args or (ids,))):
        cache.delete_many([_key(kind, pk) for pk in ids])
