""" "Enjoy without applying": when a version in automatic or confirm mode is published,
every qualifying enterprise is found in one batch evaluation over the bulk extracts and
gets a claim: paid straight away (automatic) or offered for one click (confirm).

Chunks are separate tasks any worker can take; a chunk run twice, or a whole run resumed
after a crash, creates no duplicate: the claim's uniqueness constraint decides.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from departments.hub.snapshots import SnapshotMissing
from enterprises.selectors import can_edit_enterprise
from policies.evaluation import evaluate_all
from policies.models import DeliveryMode, PolicyVersion
from qinqing.audit.services import record_event

from .models import BatchRun, Claim, ClaimStatus
from .services import ClaimRefused, _move, _reserve_and_pay, period_key

CHUNK = 1000


def start(version_id: int) -> BatchRun | None:
    version = PolicyVersion.objects.select_related("policy").get(pk=version_id)
    if version.policy.delivery_mode not in (DeliveryMode.AUTOMATIC, DeliveryMode.CONFIRM):
        return None
    run, created = BatchRun.objects.get_or_create(
        version=version, defaults={"status": BatchRun.Status.RUNNING}
    )
    if not created and run.status == BatchRun.Status.DONE:
        return run
    try:
        decision = evaluate_all(version)
    except SnapshotMissing as error:
        BatchRun.objects.filter(pk=run.pk).update(status=BatchRun.Status.FAILED,
                                                  detail=str(error)[:300])  # fmt: skip
        return BatchRun.objects.get(pk=run.pk)
    eligible = decision.eligible
    ids = decision.enterprise_ids[eligible].tolist()
    amounts = decision.amount_fen[eligible].tolist()
    chunks = [(ids[i : i + CHUNK], amounts[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)]
    BatchRun.objects.filter(pk=run.pk).update(
        status=BatchRun.Status.RUNNING, enterprises=len(decision.enterprise_ids),
        qualified=len(ids), chunks=len(chunks), chunks_done=0, finished_at=None,
    )  # fmt: skip
    if not chunks:
        BatchRun.objects.filter(pk=run.pk).update(status=BatchRun.Status.DONE,
                                                  finished_at=timezone.now())  # fmt: skip
    from .tasks import process_batch_chunk

    for chunk_ids, chunk_amounts in chunks:
        process_batch_chunk.delay(run.pk, chunk_ids, chunk_amounts)
    return BatchRun.objects.get(pk=run.pk)


def process_chunk(run_id: int, enterprise_ids: list[int], amounts_fen: list[int]) -> int:
    """Create (or find) each qualifying enterprise's claim; returns how many were new."""
    run = BatchRun.objects.select_related("version__policy").get(pk=run_id)
    version = run.version
    policy = version.policy
    period = period_key(version, timezone.localdate())
    offered = policy.delivery_mode == DeliveryMode.CONFIRM
    made = 0
    for enterprise_id, fen in zip(enterprise_ids, amounts_fen, strict=True):
        amount = (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))
        decision = {"status": "eligible", "amount": str(amount), "source": "batch evaluation",
                    "criteria": []}  # fmt: skip
        try:
            with transaction.atomic():
                claim = Claim.objects.create(
                    enterprise_id=enterprise_id, policy=policy, version=version, period=period,
                    origin="batch", amount=amount, decision=decision,
                    status=ClaimStatus.OFFERED if offered else ClaimStatus.ELIGIBLE,
                )  # fmt: skip
                record_event(actor=None, action=f"claim.{claim.status}", obj=claim,
                             after={"policy": policy.code, "source": "batch"})  # fmt: skip
                if not offered:
                    _reserve_and_pay(claim)
        except IntegrityError:
            continue  # the enterprise already has this period's claim
        made += 1
    BatchRun.objects.filter(pk=run_id).update(chunks_done=F("chunks_done") + 1)
    BatchRun.objects.filter(pk=run_id, chunks_done__gte=F("chunks")).exclude(
        status=BatchRun.Status.DONE
    ).update(status=BatchRun.Status.DONE, finished_at=timezone.now())
    return made


def confirm_offer(claim_id: int, *, actor: Any) -> Claim:
    """One click: the enterprise accepts an offer; the payment follows."""
    with transaction.atomic():
        claim = (
            Claim.objects.select_for_update()
            .select_related("enterprise", "version", "policy")
            .get(pk=claim_id)
        )
        if not can_edit_enterprise(actor, claim.enterprise):
            raise ClaimRefused("Only the enterprise's own members may confirm its offers.")
        if claim.status != ClaimStatus.OFFERED:
            return claim
        _move(claim, ClaimStatus.ELIGIBLE, actor)
        return _reserve_and_pay(claim)
