"""The outbox: what happened, written in the transaction that made it happen.

The lowest layer. Services call `emit()` next to their state change, so an event exists
exactly when the change committed (a rollback takes both). Consumers (webhooks, in the
`integrations` app) read undispatched rows; this package never imports them: it sends
`events_emitted` once a transaction that wrote events commits, and a beat sweep picks up
anything whose announcement was lost.
"""
