"""What the register of persons tells the apps above it (enterprises imports none of them)."""

from django.dispatch import Signal

# A new person entered the register one at a time (register_person; sent once committed),
# with `person_id`: the hub brings the person's rows of the person extracts up to date
# without waiting for the next full refresh, and tells the apps above (facts_changed,
# cause "registered"). A bulk registration (register_many) sends nothing: the full
# refresh that follows it finds the new rows.
person_registered = Signal()
