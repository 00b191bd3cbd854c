from django.dispatch import Signal

# Sent once a transaction that wrote outbox rows has committed (no arguments beyond the
# sender). Receivers queue whatever reads the outbox; losing one is harmless, a sweep
# reads the rows anyway.
events_emitted = Signal()
