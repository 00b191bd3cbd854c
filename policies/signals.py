"""Signals other apps listen to, so that policies never imports them."""

from django.dispatch import Signal

# Sent on commit of a version's publication; argument: version.
version_published = Signal()
