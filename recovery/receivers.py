"""Recovery plugs into the apps below it (loaded at start by qinqing's app): a breached
commitment raises an order (credit's signal, in the breach's transaction); subsidies asks
it what to withhold from each payment and lets it add to the reconciliation (subsidies'
registries); an answered appeal resumes its order (the direct line's signal)."""

from typing import Any

from credit.commitments.models import Commitment
from credit.signals import commitment_breached
from directline.signals import request_answered
from subsidies.deductions import PAYMENT_DEDUCTIONS, RECONCILERS

from .offsets import offset_payments
from .reconcile import reconcile_recovery
from .services import raise_for_breach, resume_after_answer


def on_breach(sender: Any, *, commitment: Commitment, actor: Any = None, **kwargs: Any) -> None:
    raise_for_breach(commitment, actor=actor)


def on_answer(sender: Any, *, request_id: int, actor: Any = None, **kwargs: Any) -> None:
    resume_after_answer(request_id, actor=actor)


commitment_breached.connect(on_breach, dispatch_uid="recovery.raise_on_breach")
request_answered.connect(on_answer, dispatch_uid="recovery.resume_on_answer")
PAYMENT_DEDUCTIONS.register("recovery", offset_payments)
RECONCILERS.register("recovery", reconcile_recovery)
