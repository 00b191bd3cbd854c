"""Signals other apps listen to, so that credit never imports them."""

from django.dispatch import Signal

# Sent by breach_commitment() inside its transaction, with sender=Commitment and the
# arguments commitment and actor. A receiver's exception rolls the breach back with it
# (the record, the grade and the listing too): approvals revokes the approval here.
commitment_breached = Signal()
