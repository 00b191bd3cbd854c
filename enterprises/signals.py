"""What the register tells the apps above it (enterprises imports none of them)."""

from django.dispatch import Signal

# An enterprise's bank details changed (sent once the change is committed), with
# `enterprise_id` and `actor`: subsidies tries again the payments that failed for want of
# a valid account.
bank_details_changed = Signal()

# A new enterprise entered the register (sent once committed), with `enterprise_id`:
# subsidies evaluates the open automatic and confirm policies for it.
enterprise_registered = Signal()
