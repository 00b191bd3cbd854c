"""Signals other apps listen to, so that credit never imports them."""

from django.dispatch import Signal

# Sent by breach_commitment() inside its transaction, with sender=Commitment and the
# arguments commitment and actor. A receiver's exception rolls the breach back with it
# (the record, the grade and the listing too): approvals revokes the approval here.
commitment_breached = Signal()

# Sent inside the transaction just before a commitment's row is locked, with
# sender=Commitment and commitment_id: the app the commitment was made for locks its own
# rows first (approvals: the application, then the item), so that every path touching
# commitments, applications and items locks in one order — application → item →
# commitment → enterprise — and two officials acting at once queue instead of deadlocking.
commitment_locking = Signal()
