"""Credit tells approvals of a breached commitment through its signal; credit never imports
approvals, and the revocation commits or rolls back with the breach."""

from django.dispatch import receiver

from credit.signals import commitment_breached, commitment_locking

from .services.commitments import lock_for_commitment, revoke_for_breach


@receiver(commitment_breached, dispatch_uid="approvals.revoke_on_breach")
def revoke_approval_on_breach(sender, commitment, actor=None, **kwargs) -> None:
    if commitment.subject_kind == "approval_item":
        revoke_for_breach(commitment.pk, actor=actor,
                                   reason=commitment.reason or "")  # fmt: skip


@receiver(commitment_locking, dispatch_uid="approvals.lock_before_commitment")
def lock_application_before_commitment(sender, commitment_id, **kwargs) -> None:
    """One lock order: the application and the item before the commitment."""
    lock_for_commitment(commitment_id)
