"""Signals the apps above the direct line listen to, so that it never imports them."""

from django.dispatch import Signal

# Sent inside the transaction that answers a request, with sender=Request and the
# arguments request_id and actor (recovery resumes an order the request appealed).
request_answered = Signal()
