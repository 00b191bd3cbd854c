"""Recovery plugs into the apps below it (loaded at start by qinqing's app): a breached
commitment raises an order (credit's signal, in the breach's transaction); subsidies asks
it what to withhold from each payment and lets it add to the reconciliation (subsidies'
registries); an answered appeal resumes its order (the direct line's signal); a fact
corrected on a dispute has the enterprise's paid claims checked again (the hub's signal)."""

from typing import Any

from credit.commitments.models import Commitment
from credit.signals import commitment_breached
from datahub.signals import facts_changed
from directline.signals import request_answered
from qinqing.queueing import queue_on_commit
from subsidies.deductions import PAYMENT_DEDUCTIONS, RECONCILERS, Deduction

from .offsets import offset_payments, owing_orders
from .rechecks import CHECK_TASK
from .reconcile import reconcile_recovery
from .services import raise_for_breach, resume_after_answer


def on_breach(sender: Any, *, commitment: Commitment, actor: Any = None, **kwargs: Any) -> None:
    raise_for_breach(commitment, actor=actor)


def on_answer(sender: Any, *, request_id: int, actor: Any = None, **kwargs: Any) -> None:
    resume_after_answer(request_id, actor=actor)


def on_correction(sender: Any = None, *, enterprise_ids=(), facts=(), cause: str = "",
                  **kwargs: Any) -> None:  # fmt: skip
    """Only a correction raises an order; a department's new answer is a change of
    circumstances, not proof that a payment was never due. Queued, never raised."""
    if cause == "correction" and enterprise_ids:
        queue_on_commit(CHECK_TASK, sorted(enterprise_ids), sorted(facts or ()))


commitment_breached.connect(on_breach, dispatch_uid="recovery.raise_on_breach")
request_answered.connect(on_answer, dispatch_uid="recovery.resume_on_answer")
facts_changed.connect(on_correction, dispatch_uid="recovery.check_on_correction")
PAYMENT_DEDUCTIONS.register("recovery", Deduction(owing=owing_orders, withhold=offset_payments))
RECONCILERS.register("recovery", reconcile_recovery)
