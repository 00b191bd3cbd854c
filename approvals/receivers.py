"""Credit tells approvals of a breached commitment through its signal; credit never imports
approvals, and the revocation commits or rolls back with the breach."""

from django.dispatch import receiver

from credit.deadlines import COMMITMENT_DEADLINES
from credit.signals import commitment_breached, commitment_locking
from qinqing.workhours.services import DEADLINE_RECOMPUTERS

from .deadlines import commitment_deadlines, recompute_verify_by
from .services.commitments import lock_for_commitment, revoke_for_breach

# A missing year's holidays loaded: the verification dates of approvals on commitment move
# (the item's, and its commitment's, which credit asks this app to count).
DEADLINE_RECOMPUTERS.register("approvals.Item.verify_by", recompute_verify_by)
COMMITMENT_DEADLINES.register("approval_item", commitment_deadlines)


@receiver(commitment_breached, dispatch_uid="approvals.revoke_on_breach")
def revoke_approval_on_breach(sender, commitment, actor=None, **kwargs) -> None:
    if commitment.subject_kind == "approval_item":
        revoke_for_breach(commitment.pk, actor=actor,
                                   reason=commitment.reason or "")  # fmt: skip


@receiver(commitment_locking, dispatch_uid="approvals.lock_before_commitment")
def lock_application_before_commitment(sender, commitment_id, **kwargs) -> None:
    """One lock order: the application and the item before the commitment."""
    lock_for_commitment(commitment_id)
